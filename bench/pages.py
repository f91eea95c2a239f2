"""The two read-heavy hot paths through HTTP on PostgreSQL with a multi-process gunicorn server.

    uv run python bench/pages.py [--clients 16] [--requests 200] [--workers 5]

- **product page**: ``GET /shop/p/<id>/`` as a signed-in consumer (product, SKUs, price band,
  member price, images, the rendered page);
- **share-link redirect**: ``GET /s/<code>`` from a visitor without cookies, as when a post goes
  viral: every click is a new person (session created, pending link remembered, visit recorded
  with its outbox event, 302 to the product).

The same server's trivial authenticated endpoint (GET /ping) is measured in the same run; the
table reports each ratio to it.  Results are printed and written to bench/results/pages.json.
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
import json
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from fenxiao.accounts.models import Brand, BrandStatus, User
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import LinkKind

consumers = CONSUMERS
brand, _ = Brand.objects.get_or_create(slug="bench-pages", defaults={"name": "Bench pages", "status": BrandStatus.APPROVED})
products = []
for p in range(5):
    product = Product.objects.create(brand=brand, title=f"压测商品 {p}", description="压测用的商品说明。" * 20, status=ProductStatus.ON_SALE, spec_names=["颜色", "尺码"])
    for colour in ("红", "蓝", "黑"):
        for size in ("S", "M", "L"):
            Sku.objects.create(product=product, brand=brand, spec_values={"颜色": colour, "尺码": size}, spec_key=f"颜色={colour};尺码={size}", stock=1000, retail_price=9900, price_min=8900, price_max=12900)
    products.append(product)
seller = User.objects.create_user(phone="16600000000", password=None, display_name="distributor")
distribution.become_distributor(user=seller, store_name="压测小店")
program = distribution.program_for(brand); program.join_mode = "open"; program.save()
distribution.apply_to_brand(user=seller, brand=brand)
links = [distribution.share_link(distributor=seller, brand=brand, kind=LinkKind.PRODUCT, product=p).code for p in products]
sessions = []
for i in range(consumers):
    user = User.objects.create_user(phone=f"186{i:08d}", password=None, display_name=f"visitor {i}")
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = "fenxiao.accounts.backends.PhoneOrEmailBackend"; s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    sessions.append(s.session_key)
print(json.dumps({"products": [p.pk for p in products], "links": links, "sessions": sessions}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent client processes")
    parser.add_argument("--requests", type=int, default=200, help="requests per client and benchmark")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 2) + 1, help="gunicorn worker processes"
    )
    args = parser.parse_args()

    with postgres_url("fenxiao_bench_pages") as url:
        recreate_database(url)
        env = bench_env(url)
        print(f"preparing {url.rsplit('@', 1)[-1]} …", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SETUP.replace("CONSUMERS", str(args.clients))],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        csrf = secrets.token_hex(16)

        with Server(url, workers=args.workers) as server:
            import requests

            def signed_in(index: int):
                session = requests.Session()
                session.cookies.set("sessionid", data["sessions"][index % len(data["sessions"])])
                session.cookies.set("csrftoken", csrf)
                session.base = server.base_url
                return session

            def anonymous(index: int):
                session = requests.Session()
                session.base = server.base_url
                return session

            def ping(session, n: int) -> bool:
                return session.get(session.base + "/ping").status_code == 200

            def product_page(session, n: int) -> bool:
                product = data["products"][n % len(data["products"])]
                page = session.get(f"{session.base}/shop/p/{product}/")
                return page.status_code == 200 and "压测商品" in page.text

            def share_redirect(session, n: int) -> bool:
                session.cookies.clear()  # a new person clicks the link (same keep-alive connection)
                code = data["links"][n % len(data["links"])]
                answer = session.get(f"{session.base}/s/{code}", allow_redirects=False)
                return answer.status_code == 302 and "/shop/p/" in answer.headers.get("Location", "")

            load = {"concurrency": args.clients, "requests_per_worker": args.requests}
            trivial = run_load("trivial GET /ping", signed_in, ping, **load)
            results = [
                trivial,
                run_load("product page", signed_in, product_page, **load),
                run_load("share-link redirect", anonymous, share_redirect, **load),
            ]
            for result in results:
                result.ratio_to_trivial = round(result.per_second / trivial.per_second, 3)
        print_table(results)
        write_json(
            "pages",
            results,
            {**machine_meta(), "workers": args.workers, "clients": args.clients, "database": "postgresql"},
        )


if __name__ == "__main__":
    main()
