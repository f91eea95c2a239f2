"""Flash-sale stampede through HTTP on PostgreSQL with a multi-process gunicorn server.

    uv run python bench/flash_sale.py [--buyers 16] [--attempts 50] [--quantity 100] [--workers 5]

``buyers`` client processes each press "buy" ``attempts`` times as different signed-in members
(``buyers × attempts`` members in all) on one flash sale of ``quantity`` units with a per-member
limit of 1: POST /marketing/flash/<id>/ — server-side pricing, stock UPDATE, the member's counter
row, the sale's conditional UPDATE, order, payment.  A success is a redirect to the cashier, a
refusal ("sold out") a 400 page; anything else is an error.  Afterwards the database must hold
exactly ``quantity`` flash orders and units sold.  The same server's trivial endpoint (GET /ping)
is measured in the same run; results go to bench/results/flash_sale.json.
"""

from __future__ import annotations

import argparse
import json
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
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from fenxiao.accounts.models import Brand, BrandStatus, User
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.core import clock
from fenxiao.marketing.models import FlashSale
from fenxiao.trade.models import Address

members, quantity = int(sys.argv[1]), int(sys.argv[2])
brand, _ = Brand.objects.get_or_create(slug="bench-flash", defaults={"name": "Bench flash", "status": BrandStatus.APPROVED})
product = Product.objects.create(brand=brand, title="秒杀压测", status=ProductStatus.ON_SALE, spec_names=["规格"])
sku = Sku.objects.create(product=product, brand=brand, spec_values={"规格": "标准"}, spec_key="规格=标准", stock=10**6, retail_price=9900, price_min=9900, price_max=9900)
now = clock.now()
sale = FlashSale.objects.create(brand=brand, name="bench", sku=sku, price=990, quantity=quantity, per_member_limit=1, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(days=1))
users = User.objects.bulk_create([User(phone=f"177{i:08d}", display_name=f"member {i}", password="!") for i in range(members)])
Address.objects.bulk_create([Address(consumer=u, name="压测", phone="13900000000", province="浙江省", city="杭州市", detail="1 号", is_default=True) for u in users])
addresses = dict(Address.objects.filter(consumer__in=users).values_list("consumer_id", "pk"))
sessions = []
for user in users:
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "fenxiao.accounts.backends.PhoneOrEmailBackend"; s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    sessions.append({"session": s.session_key, "address": addresses[user.pk]})
print(json.dumps({"sale": sale.pk, "buyers": sessions}))
"""

CHECK = r"""
import json
from fenxiao.marketing.models import FlashClaim, FlashQuota, FlashSale
from fenxiao.trade.models import Order
sale = FlashSale.objects.get()
print(json.dumps({
    "sold": sale.sold,
    "orders": Order.objects.count(),
    "claims": FlashClaim.objects.count(),
    "members_over_limit": FlashQuota.objects.filter(bought__gt=1).count(),
    "distinct_buyers": Order.objects.values("consumer").distinct().count(),
}))
"""


def _shell(env: dict, code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buyers", type=int, default=16, help="concurrent client processes")
    parser.add_argument(
        "--attempts", type=int, default=50, help="buy presses per client (each a different member)"
    )
    parser.add_argument("--quantity", type=int, default=100, help="units in the flash sale")
    parser.add_argument("--pings", type=int, default=200, help="trivial requests per client")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 2) + 1, help="gunicorn worker processes"
    )
    args = parser.parse_args()
    members = args.buyers * args.attempts

    with postgres_url("fenxiao_bench_flash") as url:
        recreate_database(url)
        env = bench_env(url)
        print(f"preparing {url.rsplit('@', 1)[-1]} with {members} members …", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        code = SETUP.replace("sys.argv[1]", str(members)).replace("sys.argv[2]", str(args.quantity))
        data = _shell(env, code)
        csrf = secrets.token_hex(16)

        with Server(url, workers=args.workers) as server:
            import requests

            def make_client(index: int):
                session = requests.Session()
                session.cookies.set("csrftoken", csrf)
                session.headers["X-CSRFToken"] = csrf
                session.base = server.base_url
                session.worker = index
                return session

            def ping(session, n: int) -> bool:
                buyer = data["buyers"][n % members]
                session.cookies.set("sessionid", buyer["session"])
                return session.get(session.base + "/ping").status_code == 200

            def buy(session, n: int) -> bool:
                buyer = data["buyers"][n % members]  # n = worker × attempts + i: each press a new member
                session.cookies.set("sessionid", buyer["session"])
                response = session.post(
                    f"{session.base}/marketing/flash/{data['sale']}/",
                    data={"address_id": buyer["address"]},
                    allow_redirects=False,
                )
                if response.status_code == 302:
                    return "/payments/pay/" in response.headers.get("Location", "")
                return response.status_code == 400  # sold out: a clear refusal, not an error

            trivial = run_load(
                "trivial GET /ping",
                make_client,
                ping,
                concurrency=args.buyers,
                requests_per_worker=args.pings,
            )
            result = run_load(
                "flash-sale buy attempt",
                make_client,
                buy,
                concurrency=args.buyers,
                requests_per_worker=args.attempts,
            )
            result.ratio_to_trivial = round(result.per_second / trivial.per_second, 3)
            trivial.ratio_to_trivial = 1.0
        outcome = _shell(env, CHECK)
        result.extra = {"quantity": args.quantity, "members": members, **outcome}
        print_table([trivial, result])
        print(
            f"units sold {outcome['sold']} of {args.quantity}; orders {outcome['orders']}; "
            f"distinct buyers {outcome['distinct_buyers']}; members over their limit {outcome['members_over_limit']}"
        )
        write_json(
            "flash_sale",
            [trivial, result],
            {**machine_meta(), "workers": args.workers, "buyers": args.buyers, "database": "postgresql"},
        )
        if (
            outcome["sold"] != args.quantity
            or outcome["orders"] != args.quantity
            or outcome["members_over_limit"]
        ):
            raise SystemExit("oversold, undersold or a member over its limit")


if __name__ == "__main__":
    main()
