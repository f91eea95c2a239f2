"""Data cube at scale: generate orders across brands and distributors, build the rollups, and
time the brand dashboard (read from the rollups) beside the equivalent direct aggregate query.

    uv run python bench/datacube.py [--orders 1000000] [--brands 50] [--distributors 10000]
        [--days 90] [--targets sqlite,postgres] [--sqlite-path /tmp/fenxiao_cube.sqlite3]

PostgreSQL is DATABASE_URL (its database recreated) or a throwaway local server (bench/pg.py).
Each target runs in its own process: migrate, bulk-insert the data with progress (orders, lines,
commissions, refunds, share links, visits), ``rebuild_analytics``, then measure:

- ``dashboard page``: GET /console/b/<id>/analytics/ through Django's test client, signed in as
  the brand's owner (server time: selectors on the rollups + template + SVG charts);
- ``dashboard selectors``: the same numbers from the rollups without rendering;
- ``direct query``: the same numbers computed from the source tables (``analytics/direct.py``).

Each is the median of several runs, for the last 30 days and for the whole generated range.
Results are printed and written to bench/results/datacube.json (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import RESULTS, bench_env, machine_meta  # noqa: E402

PROVINCES = [
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区",
    "新疆维吾尔自治区",
]  # fmt: skip
CHUNK = 20000
ORDER_COLUMNS = (
    "id", "order_no", "checkout_id", "consumer_id", "brand_id", "status", "goods_amount",
    "discount_amount", "shipping_amount", "paid_amount", "refunded_amount", "platform_fee_bps", "address",
    "note", "created_at", "paid_at", "cancelled_at", "distributor_id", "settled_brand_amount",
    "settled_fee", "refunded_fee",
)  # fmt: skip
LINE_COLUMNS = (
    "id", "order_id", "sku_id", "product_id_snapshot", "title", "spec_label", "unit_price", "quantity",
    "discount", "paid_amount", "shipped_quantity",
)  # fmt: skip
COMMISSION_COLUMNS = (
    "id", "order_id", "distributor_id", "level", "base_amount", "rate_bps", "amount", "reversed_amount",
    "status", "created_at",
)  # fmt: skip
REFUND_COLUMNS = (
    "id", "payment_id", "out_refund_no", "amount", "reason", "purpose", "reference", "status",
    "provider_refund_id", "failure_reason", "created_at", "finished_at",
)  # fmt: skip
VISIT_COLUMNS = ("id", "link_id", "visitor_id", "session_key", "at")


def _bulk_load_pragmas() -> None:
    """SQLite: WAL, no fsync and a large page cache while the data set is loaded."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-524288", "temp_store=MEMORY"):
                cursor.execute(f"PRAGMA {pragma}")


def _max_id(model) -> int:
    from django.db.models import Max

    return model.objects.aggregate(m=Max("id"))["m"] or 0


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert raw rows with explicit ids: COPY on PostgreSQL, one executemany on SQLite."""
    from django.db import connection

    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def _reset_sequences(*models) -> None:
    """PostgreSQL: the id sequences continue after the explicit ids (SQLite needs nothing)."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


def generate(args) -> dict:
    """Bulk-insert the data set; returns {brand_id: owner user} for the first brands."""
    import random
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus, User
    from fenxiao.accounts.roles import BrandRole
    from fenxiao.catalog.models import Product, ProductStatus, Sku
    from fenxiao.distribution.models import (
        Commission,
        CommissionStatus,
        DistributorProfile,
        LinkKind,
        ShareLink,
        Visit,
    )
    from fenxiao.payments.models import Payment, PaymentStatus, Refund, RefundStatus
    from fenxiao.trade.models import Checkout, Order, OrderLine, OrderStatus

    _bulk_load_pragmas()
    rng = random.Random(20261125)
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=args.days)
    span = args.days * 86400 - 3600

    def users(prefix: str, count: int) -> list[int]:
        for lo in range(0, count, CHUNK):
            User.objects.bulk_create(
                [
                    User(phone=f"{prefix}{i:08d}", password="!", display_name=f"{prefix}-{i}")
                    for i in range(lo, min(count, lo + CHUNK))
                ],
                batch_size=5000,
            )
        return list(User.objects.filter(phone__startswith=prefix).order_by("id").values_list("id", flat=True))

    log(f"brands, products: {args.brands} × {args.products}")
    brands = Brand.objects.bulk_create(
        [
            Brand(name=f"压测品牌 {b}", slug=f"cube-{b}", status=BrandStatus.APPROVED)
            for b in range(args.brands)
        ]
    )
    owners = users("160", args.brands)
    BrandStaff.objects.bulk_create(
        [
            BrandStaff(brand=brand, user_id=owner, role=BrandRole.OWNER)
            for brand, owner in zip(brands, owners, strict=True)
        ]
    )
    products = Product.objects.bulk_create(
        [
            Product(
                brand=brand, title=f"{brand.name} 商品 {p}", status=ProductStatus.ON_SALE, spec_names=["规格"]
            )
            for brand in brands
            for p in range(args.products)
        ],
        batch_size=5000,
    )
    skus = Sku.objects.bulk_create(
        [
            Sku(
                product=product,
                brand_id=product.brand_id,
                spec_values={"规格": "标准"},
                spec_key="规格=标准",
                stock=10**6,
                retail_price=price,
                price_min=price,
                price_max=price,
            )
            for product in products
            for price in [rng.choice([990, 1990, 3990, 5990, 9900, 19900])]
        ],
        batch_size=5000,
    )
    skus_of: dict[int, list[Sku]] = {}
    for sku in skus:
        skus_of.setdefault(sku.brand_id, []).append(sku)
    log(f"distributors: {args.distributors}")
    distributors = users("170", args.distributors)
    DistributorProfile.objects.bulk_create(
        [DistributorProfile(user_id=d, store_name=f"小店 {d}") for d in distributors], batch_size=5000
    )
    links = ShareLink.objects.bulk_create(
        [
            ShareLink(code=f"c{i:09d}", distributor_id=d, brand=brands[i % len(brands)], kind=LinkKind.STORE)
            for i, d in enumerate(distributors)
        ],
        batch_size=5000,
    )
    consumers_n = max(100, min(args.orders // 5, 200000))
    log(f"consumers: {consumers_n}")
    consumers = users("180", consumers_n)
    payment = Payment.objects.create(
        payer_id=consumers[0], amount=1, description="bench", gateway="sandbox", purpose="checkout",
        reference="bench", status=PaymentStatus.SUCCEEDED, out_trade_no="BENCHCUBE",
    )  # fmt: skip
    checkout = Checkout.objects.create(consumer_id=consumers[0], total=1)
    at = connection.ops.adapt_datetimefield_value  # aware datetime -> the backend's stored form
    brand_ids = [brand.pk for brand in brands]
    sku_rows = {b: [(s.pk, s.product_id, s.retail_price) for s in skus_of[b]] for b in brand_ids}
    link_rows = [(link.pk, link.distributor_id) for link in links]
    ids = {model: _max_id(model) for model in (Order, OrderLine, Commission, Refund, Visit)}
    made = 0
    started = time.perf_counter()
    while made < args.orders:
        size = min(CHUNK, args.orders - made)
        orders, lines, commissions, refunds, visits = [], [], [], [], []
        for i in range(made, made + size):
            ids[Order] += 1
            order_id = ids[Order]
            brand_id = brand_ids[rng.randrange(len(brand_ids))]
            sku_id, product_id, price = rng.choice(sku_rows[brand_id])
            quantity = rng.choice((1, 1, 1, 2, 3))
            amount = price * quantity
            created = start + timedelta(seconds=rng.randrange(span))
            roll = rng.random()
            paid = roll < 0.85
            status = (
                OrderStatus.PAID
                if paid
                else OrderStatus.CANCELLED
                if roll < 0.9
                else OrderStatus.PENDING_PAYMENT
            )
            refunded = min(amount, 500 * quantity) if paid and rng.random() < 0.02 else 0
            distributor_id = rng.choice(distributors) if rng.random() < 0.6 else None
            paid_at = created + timedelta(minutes=rng.randrange(1, 30)) if paid else None
            address = json.dumps({"province": rng.choice(PROVINCES), "city": "某市"})
            orders.append(
                (order_id, f"C{i:023d}", checkout.pk, rng.choice(consumers), brand_id, status,
                 amount, 0, 0, amount, refunded, 200, address, "", at(created), at(paid_at),
                 at(created + timedelta(minutes=30)) if status == OrderStatus.CANCELLED else None,
                 distributor_id, 0, 0, 0)
            )  # fmt: skip
            ids[OrderLine] += 1
            lines.append(
                (ids[OrderLine], order_id, sku_id, product_id, f"商品 {product_id}", "", price, quantity, 0,
                 amount, 0)
            )  # fmt: skip
            if paid and distributor_id:
                ids[Commission] += 1
                commissions.append(
                    (ids[Commission], order_id, distributor_id, 1, amount, 1000, amount // 10, 0,
                     CommissionStatus.PENDING, at(paid_at))
                )  # fmt: skip
            if refunded:
                ids[Refund] += 1
                refunds.append(
                    (ids[Refund], payment.pk, f"RC{ids[Refund]:012d}", refunded, "bench", "checkout",
                     f"order:{order_id}:bench", RefundStatus.SUCCEEDED, "", "",
                     at(paid_at + timedelta(days=2)), at(paid_at + timedelta(days=2)))
                )  # fmt: skip
        for _ in range(size // 4):
            ids[Visit] += 1
            link_id, _distributor = link_rows[rng.randrange(len(link_rows))]
            visits.append(
                (ids[Visit], link_id, None, f"s{rng.randrange(consumers_n * 3)}",
                 at(start + timedelta(seconds=rng.randrange(span))))
            )  # fmt: skip
        with transaction.atomic():
            _insert(Order, ORDER_COLUMNS, orders)
            _insert(OrderLine, LINE_COLUMNS, lines)
            _insert(Commission, COMMISSION_COLUMNS, commissions)
            _insert(Refund, REFUND_COLUMNS, refunds)
            _insert(Visit, VISIT_COLUMNS, visits)
        made += size
        rate = made / (time.perf_counter() - started)
        log(f"orders {made:,}/{args.orders:,} ({rate:,.0f}/s, ~{(args.orders - made) / rate:,.0f}s left)")
    _reset_sequences(Order, OrderLine, Commission, Refund, Visit)
    return {brands[0].pk: owners[0]}


def measure(fn, repeat: int) -> float:
    fn()  # warm (connections, caches, query plans)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 1)


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from fenxiao.accounts.models import User
    from fenxiao.analytics import dashboards, direct, selectors
    from fenxiao.analytics.periods import last_days
    from fenxiao.analytics.rebuild import rebuild
    from fenxiao.analytics.selectors import Scope

    if args.reuse:  # measure an already generated and rebuilt database again
        from fenxiao.accounts.models import BrandStaff

        staff = BrandStaff.objects.filter(brand__slug="cube-0").get()
        owners, generate_s, rebuild_s = {staff.brand_id: staff.user_id}, 0.0, 0.0
    else:
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        owners = generate(args)
        generate_s = time.perf_counter() - t0
        log("rebuilding the rollups")
        t0 = time.perf_counter()
        rebuild(progress=log)
        rebuild_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics after the bulk load (both databases)
    brand_id, owner_id = next(iter(owners.items()))
    client = Client()
    client.force_login(User.objects.get(pk=owner_id))
    rows = []
    for label, period in (("30 days", last_days(30)), (f"{args.days} days", last_days(args.days + 1))):
        scope = Scope(brand_id=brand_id)
        query = {"start": period.start.isoformat(), "end": period.end.isoformat()}

        def page(query=query):
            response = client.get(f"/console/b/{brand_id}/analytics/", query)
            assert response.status_code == 200, response.status_code

        def via(module, scope=scope, period=period):
            for p in (period, period.previous()):
                module.summary(scope, p)
                module.series(scope, p, "day")
            for dim in dashboards.TABLES["brand"][1:]:
                module.top(scope, period, dim, 10)

        assert selectors.summary(scope, period) == direct.summary(scope, period)
        rows.append(
            {
                "range": label,
                "dashboard_page_ms": measure(page, args.repeat),
                "dashboard_selectors_ms": measure(lambda: via(selectors), args.repeat),
                "direct_query_ms": measure(lambda: via(direct), max(1, args.repeat // 2)),
            }
        )
        log(f"{label}: {rows[-1]}")
    from django.db.models import Count

    from fenxiao.analytics.models import DailyCustomer, DailyStat, DailyVisitor
    from fenxiao.trade.models import Order

    brand_orders = Order.objects.filter(brand_id=brand_id).aggregate(n=Count("id"))["n"]
    print(
        "RESULT "
        + json.dumps(
            {
                "database": connection.vendor,
                "orders": args.orders,
                "brand_orders": brand_orders,
                "generate_s": round(generate_s, 1),
                "rebuild_s": round(rebuild_s, 1),
                "rollup_rows": {
                    "stats": DailyStat.objects.count(),
                    "customers": DailyCustomer.objects.count(),
                    "visitors": DailyVisitor.objects.count(),
                },
                "timings": rows,
            }
        ),
        flush=True,
    )


def run_target(target: str, args) -> dict:
    from contextlib import nullcontext

    from bench.pg import postgres_url, recreate_database

    if target == "sqlite":
        path = Path(args.sqlite_path)
        for suffix in ("", "-wal", "-shm") if not args.reuse else ():
            Path(str(path) + suffix).unlink(missing_ok=True)
        context = nullcontext(f"sqlite:///{path}")
    else:
        context = postgres_url("fenxiao_bench_cube")
    with context as url:
        if target != "sqlite" and not args.reuse:
            recreate_database(url)
        env = bench_env(url)
        env["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        log(f"== {target}: {url.rsplit('@', 1)[-1]}")
        command = [sys.executable, str(Path(__file__).resolve()), "--child", *sys.argv[1:]]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        result = None
        for line in proc.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[7:])
            else:
                print(line, end="", flush=True)
        if proc.wait() != 0 or result is None:
            raise SystemExit(f"{target} failed")
        return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--brands", type=int, default=50)
    parser.add_argument("--products", type=int, default=20, help="products per brand")
    parser.add_argument("--distributors", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90, help="orders spread over this many past days")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measure (median)")
    parser.add_argument("--targets", default="sqlite,postgres")
    parser.add_argument("--sqlite-path", default="/tmp/fenxiao_cube.sqlite3")
    parser.add_argument("--out", default="datacube", help="bench/results/<out>.json")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the existing database again (no generation)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    results = [run_target(target.strip(), args) for target in args.targets.split(",") if target.strip()]
    print()
    header = (
        f"{'database':<12}{'range':<10}{'page ms':>10}{'rollup sel ms':>15}{'direct ms':>12}{'speed-up':>10}"
    )
    print(
        f"{args.orders:,} orders, {args.brands} brands, {args.distributors:,} distributors over {args.days} days"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        for t in r["timings"]:
            speed = t["direct_query_ms"] / max(t["dashboard_selectors_ms"], 0.1)
            print(
                f"{r['database']:<12}{t['range']:<10}{t['dashboard_page_ms']:>10}"
                f"{t['dashboard_selectors_ms']:>15}{t['direct_query_ms']:>12}{speed:>9.0f}×"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.out}.json"
    meta = {**machine_meta(), "args": {k: v for k, v in vars(args).items() if k != "child"}}
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=2, ensure_ascii=False))
    print(f"results written to {path.relative_to(ROOT)}")
    os.environ.pop("DATABASE_URL", None)


if __name__ == "__main__":
    main()
