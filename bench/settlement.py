"""Settlement at scale: N completed, due orders settled by the set-based batch
(``trade.settlement.settle_due_orders``), and the old per-order path (``fulfilment.settle`` for
each order, 500 per transaction as the old timer ran) for comparison.

    uv run python bench/settlement.py [--orders 10000 100000 1000000] [--targets postgres,sqlite]
        [--sqlite-orders 10000 100000] [--batch-size 5000] [--per-order 10000] [--per-order-on postgres]

Each (database, size, path) runs in its own process on a fresh copy of a migrated database
(PostgreSQL: ``CREATE DATABASE … TEMPLATE`` from ``fenxiao_bench_settle_tpl`` on the DATABASE_URL
server, or a throwaway local server, bench/pg.py; SQLite: a copied file in a temporary folder).
The data set is written set-based with progress (``INSERT … SELECT`` over ``generate_series`` /
a recursive CTE, in chunks of 100,000): 20 brands with programs (freeze 0/3/7 days, level 2 on
half), three distributor levels per brand, N/100 distributors (so each has about 60 orders at
every size), ~60% of orders through a distributor (40% of those with a level-2 inviter on the
brands that have level 2), shipping on 20%, partial refunds on 5% and full ones on 1% (their
commissions reversed as a refund would), completed 30 days ago; the ledger opened with what the
payments and commissions left in it.  Then the settlement is timed, and checked: every order
settled, one entry per order that kept money, trial balance zero, balances equal their lines.

After the settlement (batch path) the same orders go through the issue-17 phases
(``bench/settlement_phases.py``): every brand's statement of the settlement day, and the day's
reconciliation of N sandbox payments against the provider's real-format bills with three injected
breaks (found exactly, or the run fails).

Results: a table (orders, seconds, orders/s, µs per order and its ratio to the 10k run's), a
table of the statement and reconciliation phases (seconds, µs per line), and
bench/results/settlement.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import RESULTS, bench_env, machine_meta  # noqa: E402

BRANDS = 20
CHUNK = 100_000
TEMPLATE = "fenxiao_bench_settle_tpl"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


def _escaped(sql: str) -> str:
    """SQL with parameters: its modulo signs doubled, its ``%s`` placeholders kept."""
    return sql.replace("%", "%%").replace("%%s", "%s")


def _series(vendor: str, lo: int, hi: int) -> str:
    if vendor == "postgresql":
        return f"generate_series({lo}, {hi}) AS s(i)"
    return f"(WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {hi}) SELECT i FROM s) AS s"


def generate(orders: int) -> dict:
    """The data set, set-based; returns its shape."""
    from datetime import timedelta

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from fenxiao.accounts.models import Brand, BrandStatus, User
    from fenxiao.catalog.models import Product, ProductStatus, Sku
    from fenxiao.core.sql import dt
    from fenxiao.distribution.models import (
        DistributionProgram,
        DistributorLevel,
        DistributorMembership,
        MembershipStatus,
    )
    from fenxiao.trade.models import Checkout, Order

    vendor = connection.vendor
    started = time.perf_counter()
    distributors = max(2 * BRANDS, orders // 100 // BRANDS * BRANDS)
    per_brand = distributors // BRANDS
    consumers = min(10_000, max(100, orders // 20))
    brands = Brand.objects.bulk_create(
        [Brand(name=f"结算品牌 {b}", slug=f"settle-{b}", status=BrandStatus.APPROVED) for b in range(BRANDS)]
    )
    brand_ids = [b.pk for b in brands]
    assert brand_ids == list(range(brand_ids[0], brand_ids[0] + BRANDS)), "brand ids not contiguous"
    products = Product.objects.bulk_create(
        [
            Product(brand=b, title=f"{b.name} 商品", status=ProductStatus.ON_SALE, spec_names=["规格"])
            for b in brands
        ]
    )
    skus = Sku.objects.bulk_create(
        [
            Sku(
                product=p,
                brand_id=p.brand_id,
                spec_values={"规格": "标准"},
                spec_key="规格=标准",
                stock=10**6,
                retail_price=1990,
                price_min=1990,
                price_max=1990,
            )
            for p in products
        ]
    )
    for b, brand in enumerate(brands):
        DistributionProgram.objects.create(
            brand=brand,
            freeze_days=(7, 3, 0)[b % 3],
            level2_enabled=b % 2 == 0,
            level2_bps=500 if b % 2 == 0 else 0,
        )
    levels = DistributorLevel.objects.bulk_create(
        [
            DistributorLevel(brand=brand, name=name, rate_bps=rate, min_sales=sales)
            for brand in brands
            for name, rate, sales in (("铜牌", 800, 0), ("银牌", 1200, 100_000), ("金牌", 1500, 1_000_000))
        ]
    )
    bronze = {lvl.brand_id: lvl.pk for lvl in levels if lvl.min_sales == 0}
    User.objects.bulk_create(
        [User(phone=f"168{j:08d}", password="!", display_name=f"分销商{j}") for j in range(distributors)],
        batch_size=5000,
    )
    User.objects.bulk_create(
        [User(phone=f"169{j:08d}", password="!", display_name=f"顾客{j}") for j in range(consumers)],
        batch_size=5000,
    )
    d_ids = list(User.objects.filter(phone__startswith="168").order_by("pk").values_list("pk", flat=True))
    c_ids = list(User.objects.filter(phone__startswith="169").order_by("pk").values_list("pk", flat=True))
    assert d_ids == list(range(d_ids[0], d_ids[0] + distributors)) and c_ids == list(
        range(c_ids[0], c_ids[0] + consumers)
    ), "user ids not contiguous"
    DistributorMembership.objects.bulk_create(
        [
            DistributorMembership(
                brand_id=brand_ids[j % BRANDS],
                distributor_id=d,
                status=MembershipStatus.APPROVED,
                level_id=bronze[brand_ids[j % BRANDS]],
            )
            for j, d in enumerate(d_ids)
        ],
        batch_size=5000,
    )
    checkout = Checkout.objects.create(consumer_id=c_ids[0], total=0)
    now = timezone.now().replace(microsecond=0)
    created, completed = dt(now - timedelta(days=40)), dt(now - timedelta(days=30))
    b = f"(i % {BRANDS})"
    qty = "(1 + (i * 7) % 3)"
    goods = f"((1990 + 1000 * ({b} % 7)) * {qty})"
    shipping = "(CASE WHEN i % 5 = 0 THEN 800 ELSE 0 END)"
    refunded = f"(CASE WHEN i % 97 = 0 THEN {goods} + {shipping} WHEN i % 20 = 0 THEN {goods} / 3 ELSE 0 END)"
    distributor = f"(CASE WHEN (i * 31) % 10 < 6 THEN {d_ids[0]} + {b} + {BRANDS} * ((i / {BRANDS} * 17) % {per_brand}) END)"
    inviter = (
        f"(CASE WHEN (i * 31) % 10 < 6 AND {b} % 2 = 0 AND (i * 13) % 10 < 4"
        f" THEN {d_ids[0]} + {b} + {BRANDS} * ((i / {BRANDS} * 17 + 1) % {per_brand}) END)"
    )
    order_no = "'S' || lpad(i::text, 20, '0')" if vendor == "postgresql" else "printf('S%020d', i)"
    address = "CAST(%s AS jsonb)" if vendor == "postgresql" else "%s"
    # amount = apply_bps(base, rate); a refund reverses pending commission in proportion to the goods
    left = "((o.goods_amount * {rate} * 2 + 10000) / 20000)"
    commission = (
        "INSERT INTO distribution_commission (order_id, distributor_id, level, base_amount, rate_bps, amount,"
        " reversed_amount, status, created_at, available_at)"
        " SELECT o.id, {who}, {level}, o.goods_amount, {rate}, {left},"
        " CASE WHEN o.refunded_amount = o.paid_amount THEN {left}"
        "  ELSE {left} - {left} * CAST(o.goods_amount - o.refunded_amount AS BIGINT) / o.goods_amount END,"
        " CASE WHEN o.refunded_amount = o.paid_amount THEN 'reversed' ELSE 'pending' END, o.paid_at, NULL"
        " FROM trade_order o WHERE {who} IS NOT NULL AND o.id BETWEEN %s AND %s"
    )
    made = 0
    while made < orders:
        lo, hi = made + 1, min(orders, made + CHUNK)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _escaped(
                    "INSERT INTO trade_order (id, order_no, checkout_id, consumer_id, brand_id, status, goods_amount,"
                    " discount_amount, shipping_amount, paid_amount, refunded_amount, platform_fee_bps, address, note,"
                    " distributor_id, inviter_id, created_at, paid_at, shipped_at, completed_at, cancelled_at,"
                    " settled_at, settled_brand_amount, settled_fee, refunded_fee)"
                    f" SELECT i, {order_no}, {checkout.pk}, {c_ids[0]} + i % {consumers}, {brand_ids[0]} + {b},"
                    f" 'completed', {goods}, 0, {shipping}, {goods} + {shipping}, {refunded}, 200 + 50 * ({b} % 3),"
                    f" {address}, '', {distributor}, {inviter}, %s, %s, %s, %s, NULL, NULL, 0, 0, 0"
                    f" FROM {_series(vendor, lo, hi)}"
                ),
                [json.dumps({"province": "浙江省", "city": "杭州市"}), created, created, created, completed],
            )
            cursor.execute(
                _escaped(
                    "INSERT INTO trade_orderline (order_id, sku_id, product_id_snapshot, title, spec_label, unit_price,"
                    " quantity, discount, paid_amount, shipped_quantity)"
                    f" SELECT o.id, {skus[0].pk} + (o.brand_id - {brand_ids[0]}), {products[0].pk} + (o.brand_id -"
                    f" {brand_ids[0]}), '商品', '', 1990 + 1000 * ((o.brand_id - {brand_ids[0]}) % 7),"
                    f" o.goods_amount / (1990 + 1000 * ((o.brand_id - {brand_ids[0]}) % 7)), 0, o.goods_amount,"
                    f" o.goods_amount / (1990 + 1000 * ((o.brand_id - {brand_ids[0]}) % 7))"
                    " FROM trade_order o WHERE o.id BETWEEN %s AND %s"
                ),
                [lo, hi],
            )
            for who, level, rate in (("o.distributor_id", 1, 800), ("o.inviter_id", 2, 500)):
                cursor.execute(
                    _escaped(commission.format(who=who, level=level, rate=rate, left=left.format(rate=rate))),
                    [lo, hi],
                )
        made = hi
        log(
            f"  {made:>9,} orders with lines and commissions ({made / (time.perf_counter() - started):,.0f}/s)"
        )
    _open_ledger()
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Order]):  # ids were given explicitly
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    return {
        "distributors": distributors,
        "consumers": consumers,
        "generate_s": round(time.perf_counter() - started, 1),
    }


def _open_ledger() -> None:
    """What payments, refunds before settlement and pending commissions left in the ledger, as
    one opening entry: cash = what the orders kept, pending = the commissions not reversed,
    clearing = the rest."""
    from django.db import connection

    from fenxiao.ledger.models import SIGN_RULES, AccountCode, JournalEntry, JournalLine, LedgerAccount

    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(paid_amount - refunded_amount) FROM trade_order")
        kept = cursor.fetchone()[0]
        code = AccountCode.COMMISSION_PENDING
        cursor.execute(
            "INSERT INTO ledger_ledgeraccount (code, brand_id, user_id, sign_rule, balance)"
            " SELECT %s, o.brand_id, c.distributor_id, %s, -SUM(c.amount - c.reversed_amount)"
            " FROM distribution_commission c JOIN trade_order o ON o.id = c.order_id"
            " WHERE c.status = 'pending' GROUP BY o.brand_id, c.distributor_id ORDER BY 2, 3",
            [code, SIGN_RULES[code]],
        )
        cursor.execute("SELECT -SUM(balance) FROM ledger_ledgeraccount WHERE code = %s", [code])
        pending = cursor.fetchone()[0] or 0
    cash = LedgerAccount.objects.create(
        code=AccountCode.GATEWAY_CASH, sign_rule=SIGN_RULES[AccountCode.GATEWAY_CASH], balance=kept
    )
    clearing = LedgerAccount.objects.create(
        code=AccountCode.PLATFORM_CLEARING,
        sign_rule=SIGN_RULES[AccountCode.PLATFORM_CLEARING],
        balance=-(kept - pending),
    )
    entry = JournalEntry.objects.create(
        kind="bench_opening", reference="bench", idempotency_key="bench-opening"
    )
    JournalLine.objects.bulk_create([JournalLine(entry=entry, account=cash, amount=kept)])
    JournalLine.objects.bulk_create([JournalLine(entry=entry, account=clearing, amount=-(kept - pending))])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, amount)"
            " SELECT %s, id, balance FROM ledger_ledgeraccount WHERE code = %s ORDER BY id",
            [entry.pk, code],
        )


def child(args) -> None:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import F

    from fenxiao.ledger import selectors as ledger
    from fenxiao.ledger.models import JournalEntry, JournalLine
    from fenxiao.trade import fulfilment, settlement
    from fenxiao.trade.models import Order, OrderStatus

    vendor = connection.vendor
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    log(f"generating {args.orders:,} orders on {vendor} …")
    shape = generate(args.orders)
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")  # as settings run it
    due = settlement.due_orders()
    assert due == args.orders, (due, args.orders)
    log(f"settling {due:,} orders ({args.mode}) …")
    batch_ms: list[float] = []
    started = time.perf_counter()
    last = [started]
    if args.mode == "batch":

        def progress(outcome, settled):
            now = time.perf_counter()
            batch_ms.append((now - last[0]) * 1000)
            last[0] = now
            if len(batch_ms) % 20 == 0 or outcome.picked < args.batch_size:
                rate = settled / (now - started)
                log(f"  {settled:>9,} settled ({rate:,.0f}/s, ETA {(due - settled) / rate:,.0f} s)")

        settled = settlement.settle_all_due(batch_size=args.batch_size, progress=progress)
    else:
        ids = list(
            Order.objects.filter(status=OrderStatus.COMPLETED, settled_at=None)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        settled = 0
        for lo in range(0, len(ids), 500):
            with transaction.atomic():  # as the old timer: up to 500 orders in its one transaction
                for order_id in ids[lo : lo + 500]:
                    settled += fulfilment.settle(order_id) is not None
            if (lo // 500) % 4 == 3 or lo + 500 >= len(ids):
                rate = settled / (time.perf_counter() - started)
                log(f"  {settled:>9,} settled ({rate:,.0f}/s, ETA {(due - settled) / rate:,.0f} s)")
    seconds = time.perf_counter() - started
    log("checking …")
    unsettled = Order.objects.filter(status=OrderStatus.COMPLETED, settled_at=None).count()
    kept = Order.objects.exclude(paid_amount=F("refunded_amount")).count()
    entries = JournalEntry.objects.filter(kind="order_settled").count()
    problems = []
    if settled != args.orders or unsettled:
        problems.append(f"settled {settled:,} of {args.orders:,}, {unsettled:,} left")
    if entries != kept:
        problems.append(f"{entries:,} settlement entries for {kept:,} orders that kept money")
    if ledger.trial_balance() != 0:
        problems.append(f"trial balance {ledger.trial_balance()}")
    if not ledger.balances_match_lines():
        problems.append("balances differ from their lines")
    if problems:
        raise SystemExit("; ".join(problems))
    phases = {}
    if args.mode == "batch":  # issue 17: statements and reconciliation over the same orders
        from bench.settlement_phases import reconciliation_phase, statements_phase

        phases = {**statements_phase(log), **reconciliation_phase(vendor, args.orders, log)}
    tenth = max(1, len(batch_ms) // 10)
    result = {
        "database": vendor,
        "path": args.mode,
        "orders": args.orders,
        "batch_size": args.batch_size if args.mode == "batch" else 500,
        **shape,
        "seconds": round(seconds, 2),
        "orders_per_s": round(settled / seconds),
        "us_per_order": round(seconds / settled * 1e6, 1),
        "first_tenth_batch_ms": round(sum(batch_ms[:tenth]) / tenth, 1) if batch_ms else None,
        "last_tenth_batch_ms": round(sum(batch_ms[-tenth:]) / tenth, 1) if batch_ms else None,
        "journal_lines": JournalLine.objects.count(),
        **phases,
    }
    print("RESULT " + json.dumps(result), flush=True)


def _run_child(url: str, orders: int, mode: str, batch_size: int) -> dict:
    env = bench_env(url)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child",
        "--orders", str(orders), "--mode", mode, "--batch-size", str(batch_size),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
        else:
            print(line, end="", flush=True)
    if proc.wait() != 0 or result is None:
        raise SystemExit(f"{mode} {orders} on {url.split(':')[0]} failed")
    return result


def _migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=bench_env(url),
        check=True,
    )


def run_postgres(runs: list[tuple[int, str]], batch_size: int) -> list[dict]:
    import psycopg

    from bench.pg import postgres_url, recreate_database

    results = []
    with postgres_url(TEMPLATE) as template_url:
        log("PostgreSQL: migrating the template database …")
        recreate_database(template_url)
        _migrate(template_url)
        base = template_url.rsplit("/", 1)[0]
        for orders, mode in runs:
            name = f"fenxiao_bench_settle_{mode.replace('-', '_')}_{orders}"
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
            log(f"== postgresql, {orders:,} orders, {mode}")
            try:
                results.append(_run_child(f"{base}/{name}", orders, mode, batch_size))
            finally:
                with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    return results


def run_sqlite(runs: list[tuple[int, str]], batch_size: int) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="fenxiao-bench-settle-") as folder:
        template = Path(folder) / "template.sqlite3"
        log("SQLite: migrating the template database …")
        _migrate(f"sqlite:///{template}")
        for orders, mode in runs:
            path = Path(folder) / f"{mode}-{orders}.sqlite3"
            shutil.copy(template, path)
            log(f"== sqlite, {orders:,} orders, {mode}")
            try:
                results.append(_run_child(f"sqlite:///{path}", orders, mode, batch_size))
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
    return results


def print_table(results: list[dict]) -> None:
    header = (
        f"{'database':<12}{'path':<11}{'orders':>11}{'batch':>7}{'seconds':>10}{'orders/s':>10}"
        f"{'µs/order':>10}{'× 10k':>7}{'1st/last 10% batch ms':>24}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        batches = (
            f"{r['first_tenth_batch_ms']:,.0f} / {r['last_tenth_batch_ms']:,.0f}"
            if r["first_tenth_batch_ms"] is not None
            else ""
        )
        ratio = "" if r.get("ratio_to_10k") is None else f"{r['ratio_to_10k']:.2f}"
        print(
            f"{r['database']:<12}{r['path']:<11}{r['orders']:>11,}{r['batch_size']:>7,}{r['seconds']:>10,.1f}"
            f"{r['orders_per_s']:>10,}{r['us_per_order']:>10,.1f}{ratio:>7}{batches:>24}"
        )
    phases = [r for r in results if "statements_s" in r]
    if phases:
        print()
        print(
            f"{'database':<12}{'orders':>11}{'statements s':>14}{'µs/line':>9}{'reconcile s':>13}{'µs/line':>9}"
        )
        for r in phases:
            print(
                f"{r['database']:<12}{r['orders']:>11,}{r['statements_s']:>14,.1f}"
                f"{r['statements_s'] / max(1, r['statement_lines']) * 1e6:>9,.1f}{r['reconciliation_s']:>13,.1f}"
                f"{r['reconciliation_s'] / max(1, r['reconciled_lines']) * 1e6:>9,.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sqlite-orders", type=int, nargs="+", default=None, help="default: --orders")
    parser.add_argument("--targets", default="postgres,sqlite")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--per-order", type=int, default=10_000, help="orders for the old path (0: skip)")
    parser.add_argument("--per-order-on", default="postgres,sqlite", help="databases that run the old path")
    parser.add_argument("--out", default="settlement", help="bench/results/<out>.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="batch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.orders = args.orders[0]
        child(args)
        return
    results: list[dict] = []
    started = time.perf_counter()
    for target in [t.strip() for t in args.targets.split(",") if t.strip()]:
        sizes = args.orders if target == "postgres" else (args.sqlite_orders or args.orders)
        old_path = args.per_order and target in args.per_order_on.split(",")
        runs = [(n, "batch") for n in sizes] + ([(args.per_order, "per-order")] if old_path else [])
        results += (run_postgres if target == "postgres" else run_sqlite)(runs, args.batch_size)
    for r in results:
        base = next(
            (
                x
                for x in results
                if x["database"] == r["database"] and x["path"] == "batch" and x["orders"] == 10_000
            ),
            None,
        )
        r["ratio_to_10k"] = round(r["us_per_order"] / base["us_per_order"], 2) if base else None
    print()
    print_table(results)
    meta = {
        **machine_meta(),
        "cpu": _cpu_model(),
        "load_average": os.getloadavg(),
        "total_s": round(time.perf_counter() - started, 1),
        "args": {k: v for k, v in vars(args).items() if k not in ("child", "mode")},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.out}.json"
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=2, ensure_ascii=False))
    print(f"results written to {path.relative_to(ROOT)}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    main()
