"""Server-side profile of the checkout and flash-sale paths: SQL statements per request and a
cProfile of the whole request (middleware, view, templates) through Django's test client.

    DATABASE_URL=postgres://postgres@127.0.0.1:55433/fenxiao_bench_profile \
        uv run python bench/profile_checkout.py [--rounds 200] [--top 25] [--sql]

The database (its name from DATABASE_URL; a throwaway server when it is not ``postgres://``)
is recreated and migrated, a buyer, two brands' SKUs and a flash sale are created, then:

- the SQL of one ``GET /ping``, one cart checkout (``POST /trade/cart/add/`` +
  ``POST /trade/checkout/``), one "buy now" (``POST /trade/buy/``) and one flash-sale press
  (a success, then a sold-out refusal) is counted (``--sql`` prints every statement);
- ``--rounds`` of each are run under cProfile and the top functions by cumulative time printed.

The figures are for reading, not for a result table: the test client skips gunicorn and the
socket, so the throughput benchmarks (bench/checkout.py, bench/flash_sale.py) are the measure.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from itertools import count as counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import bench_env  # noqa: E402
from bench.pg import postgres_url, recreate_database  # noqa: E402


def _setup():
    from datetime import timedelta

    from fenxiao.accounts.models import Brand, BrandStatus, User
    from fenxiao.catalog.models import Product, ProductStatus, Sku
    from fenxiao.core import clock
    from fenxiao.marketing.models import FlashSale
    from fenxiao.trade.models import Address

    skus = []
    for b in range(2):
        brand, _ = Brand.objects.get_or_create(
            slug=f"bench-{b}", defaults={"name": f"Bench brand {b}", "status": BrandStatus.APPROVED}
        )
        for p in range(5):
            product = Product.objects.create(
                brand=brand, title=f"压测商品 {b}-{p}", status=ProductStatus.ON_SALE, spec_names=["规格"]
            )
            skus.append(
                Sku.objects.create(
                    product=product,
                    brand=brand,
                    spec_values={"规格": "标准"},
                    spec_key="规格=标准",
                    stock=10**8,
                    retail_price=9900,
                    price_min=9900,
                    price_max=9900,
                )
            )
    buyer = User.objects.create_user(phone="18800000001", password=None, display_name="buyer")
    address = Address.objects.create(
        consumer=buyer, name="压测", phone="13900000000", province="浙江省", city="杭州市", detail="1 号"
    )
    now = clock.now()
    sale = FlashSale.objects.create(
        brand=skus[0].brand,
        name="bench",
        sku=skus[0],
        price=990,
        quantity=10**6,
        per_member_limit=1,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )
    sold_out = FlashSale.objects.create(
        brand=skus[0].brand,
        name="gone",
        sku=skus[1],
        price=990,
        quantity=1,
        sold=1,
        per_member_limit=1,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )
    return buyer, address, skus, sale, sold_out


def _members(count: int) -> list:
    from fenxiao.accounts.models import User

    return User.objects.bulk_create(
        [User(phone=f"177{i:08d}", display_name=f"m{i}", password="!") for i in range(count)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print every SQL statement")
    parser.add_argument("--inner", action="store_true", help="(internal) run inside the prepared env")
    args = parser.parse_args()

    if not args.inner:
        with postgres_url("fenxiao_bench_profile") as url:
            recreate_database(url)
            env = bench_env(url)
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            env["CONN_MAX_AGE"] = "600"
            env["STATIC_MANIFEST"] = "0"  # plain static URLs: nothing to collect first
            cmd = [sys.executable, __file__, "--inner", "--rounds", str(args.rounds), "--top", str(args.top)]
            subprocess.run(cmd + (["--sql"] if args.sql else []), cwd=ROOT, env=env, check=True)
        return

    os.chdir(ROOT)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    buyer, address, skus, sale, sold_out = _setup()
    members = _members(args.rounds + 2)
    client = Client()
    client.force_login(buyer)
    has_buy_now = _has_route("trade:buy_now")

    def ping(c=client):
        assert c.get("/ping").status_code == 200

    cart_n, buy_n, flash_n = counter(), counter(), counter()

    def cart_checkout(c=client, n=cart_n):
        sku = skus[next(n) % len(skus)]
        assert c.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 1}).status_code == 302
        r = c.post("/trade/checkout/", {"address_id": address.pk})
        assert r.status_code == 302 and "/payments/pay/" in r["Location"], r.status_code

    def buy_now(c=client, n=buy_n):
        sku = skus[next(n) % len(skus)]
        r = c.post("/trade/buy/", {"sku_id": sku.pk, "quantity": 1, "address_id": address.pk})
        assert r.status_code == 302 and "/payments/pay/" in r["Location"], r.status_code

    member_clients = []
    for member in members:
        from fenxiao.trade.models import Address

        addr = Address.objects.create(
            consumer=member, name="m", phone="13900000000", province="浙江省", city="杭州市", detail="1 号"
        )
        c = Client()
        c.force_login(member)
        member_clients.append((c, addr.pk))

    def flash(n=flash_n):
        c, addr = member_clients[next(n)]
        r = c.post(f"/marketing/flash/{sale.pk}/", {"address_id": addr})
        assert r.status_code == 302, r.status_code

    def flash_sold_out(c=client):
        assert c.post(f"/marketing/flash/{sold_out.pk}/", {"address_id": address.pk}).status_code == 400

    cases = [("GET /ping", ping), ("cart add + checkout", cart_checkout)]
    if has_buy_now:
        cases.append(("buy now (one POST)", buy_now))
    cases += [("flash-sale press (success)", flash), ("flash-sale press (sold out)", flash_sold_out)]

    print("SQL statements per request (after one warm-up):")
    for name, fn in cases:
        fn()
        with CaptureQueriesContext(connection) as captured:
            fn()
        print(f"  {name:<30} {len(captured.captured_queries):>3}")
        if args.sql:
            for q in captured.captured_queries:
                print("      ", q["sql"][:200])
    for name, fn in cases:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.rounds):
            fn()
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(
            f"\n=== {name}: {args.rounds} rounds, {elapsed / args.rounds * 1000:.2f} ms each (under cProfile)"
        )
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(args.top)
        print(out.getvalue().split("\n", 6)[-1])


def _has_route(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


if __name__ == "__main__":
    main()
