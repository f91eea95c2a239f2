"""Checkout throughput through HTTP on PostgreSQL with a multi-process gunicorn server.

    uv run python bench/checkout.py [--buyers 16] [--checkouts 25] [--workers 4]

Two ways to buy, each measured with its ratio to the same server's trivial authenticated endpoint
(GET /ping, measured in the same run):

- **buy now** — the product page's 立即购买 button opens the confirm-order page
  (``GET /trade/buy/?sku_id=&quantity=``), whose form sends one ``POST /trade/buy/`` with the SKU,
  quantity, address and note: that POST (server-side pricing, stock reservation, the order, the
  payment; no cart) is what is measured, one request per order.  It is the product page's buying
  path, so its row is named ``checkout: buy now …`` and is the one bench/run_all.py's summary
  holds against the checkout target (≥ 0.3).
- **cart** — "add to cart" then the cart's checkout: ``POST /trade/cart/add/`` then
  ``POST /trade/checkout/``, two requests per order (bench/peers.py compares this path with
  django-oscar's).

Results are printed and written to bench/results/checkout.json.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Server, bench_env, machine_meta, print_table, run_load, write_json  # noqa: E402
from bench.pg import postgres_url, recreate_database  # noqa: E402

SETUP = r"""
import json, sys
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from fenxiao.accounts.models import Brand, BrandStatus, User
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.trade.models import Address

buyers, brands = int(sys.argv[1]), 2
skus = []
for b in range(brands):
    brand, _ = Brand.objects.get_or_create(slug=f"bench-{b}", defaults={"name": f"Bench brand {b}", "status": BrandStatus.APPROVED})
    for p in range(5):
        product = Product.objects.create(brand=brand, title=f"压测商品 {b}-{p}", status=ProductStatus.ON_SALE, spec_names=["规格"])
        skus.append(Sku.objects.create(product=product, brand=brand, spec_values={"规格": "标准"}, spec_key="规格=标准", stock=10**8, retail_price=9900, price_min=9900, price_max=9900).pk)
sessions = []
for i in range(buyers):
    user = User.objects.create_user(phone=f"188{i:08d}", password=None, display_name=f"buyer {i}")
    address = Address.objects.create(consumer=user, name="压测", phone="13900000000", province="浙江省", city="杭州市", detail="1 号", is_default=True)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "fenxiao.accounts.backends.PhoneOrEmailBackend"; s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    sessions.append({"session": s.session_key, "address": address.pk})
print(json.dumps({"skus": skus, "buyers": sessions}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buyers", type=int, default=16, help="concurrent client processes")
    parser.add_argument("--checkouts", type=int, default=25, help="checkouts per buyer")
    parser.add_argument("--pings", type=int, default=200, help="trivial requests per client")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 2) + 1, help="gunicorn worker processes"
    )
    args = parser.parse_args()

    import json

    with postgres_url() as url:
        recreate_database(url)
        env = bench_env(url)
        print(f"preparing {url.rsplit('@', 1)[-1]} …", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SETUP.replace("sys.argv[1]", str(args.buyers))],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        csrf = secrets.token_hex(16)

        with Server(url, workers=args.workers) as server:
            import requests

            def make_client(index: int):
                session = requests.Session()
                session.cookies.set("sessionid", data["buyers"][index % len(data["buyers"])]["session"])
                session.cookies.set("csrftoken", csrf)
                session.headers["X-CSRFToken"] = csrf
                session.base = server.base_url
                session.address = data["buyers"][index % len(data["buyers"])]["address"]
                return session

            def ping(session, n: int) -> bool:
                return session.get(session.base + "/ping").status_code == 200

            def checkout(session, n: int) -> bool:
                sku = data["skus"][n % len(data["skus"])]
                added = session.post(
                    session.base + "/trade/cart/add/",
                    data={"sku_id": sku, "quantity": 1},
                    allow_redirects=False,
                )
                placed = session.post(
                    session.base + "/trade/checkout/",
                    data={"address_id": session.address},
                    allow_redirects=False,
                )
                return (
                    added.status_code == 302
                    and placed.status_code == 302
                    and "/payments/pay/" in placed.headers.get("Location", "")
                )

            def buy_now(session, n: int) -> bool:
                """What the confirm-order page's form sends (its fields, the note left empty)."""
                sku = data["skus"][n % len(data["skus"])]
                placed = session.post(
                    session.base + "/trade/buy/",
                    data={"sku_id": sku, "quantity": 1, "address_id": session.address, "note": ""},
                    allow_redirects=False,
                )
                return placed.status_code == 302 and "/payments/pay/" in placed.headers.get("Location", "")

            trivial = run_load(
                "trivial GET /ping",
                make_client,
                ping,
                concurrency=args.buyers,
                requests_per_worker=args.pings,
            )
            # bench/run_all.py matches its targets by the start of the name: "checkout" is buy now.
            direct = run_load(
                "checkout: buy now (1 request)",
                make_client,
                buy_now,
                concurrency=args.buyers,
                requests_per_worker=args.checkouts,
            )
            cart = run_load(
                "cart + checkout (2 requests)",
                make_client,
                checkout,
                concurrency=args.buyers,
                requests_per_worker=args.checkouts,
            )
            for measured in (direct, cart):
                measured.ratio_to_trivial = round(measured.per_second / trivial.per_second, 3)
            trivial.ratio_to_trivial = 1.0
        print_table([trivial, direct, cart])
        write_json(
            "checkout",
            [trivial, direct, cart],
            {
                **machine_meta(),
                "workers": args.workers,
                "buyers": args.buyers,
                "database": "postgresql",
                "target_path": "buy now",  # the row the checkout target is held against
            },
        )


if __name__ == "__main__":
    main()
