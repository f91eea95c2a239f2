"""The phases that follow settlement in ``bench/settlement.py`` (issue 17): every brand's
settlement statement over the settled orders, and the day's reconciliation of N payments against
the sandbox provider's real-format bills.

- statements: every brand on a daily cycle, the clock a day on, ``generate_due_statements``
  draws up each brand's statement of the settlement day (one statement line per settlement entry).
  ``ANALYZE`` first, as a live database has statistics of its tables: with the statistics taken
  before settlement (an almost empty journal) SQLite plans the statement's joins as nested scans
  and the phase grows quadratically (10k orders: 54 s instead of about one);
- reconciliation: N succeeded sandbox payments of yesterday (one per order, its paid amount) and the
  sandbox provider's own records of them are written set-based, with three breaks injected (one
  payment the provider lacks, one it shows 1 fen more, one it has and we do not); then
  ``reconcile("sandbox", yesterday)`` builds the gzip bills, checks them, parses them and matches
  every line, and must find exactly those three breaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta


def statements_phase(log: Callable[[str], None]) -> dict:
    from django.db import connection

    from fenxiao.accounts.models import Brand
    from fenxiao.core import clock
    from fenxiao.ledger.models import BrandFinanceSetting, BrandStatementLine, StatementCycle
    from fenxiao.ledger.statements import generate_due_statements

    BrandFinanceSetting.objects.bulk_create(
        BrandFinanceSetting(brand_id=pk, statement_cycle=StatementCycle.DAILY)
        for pk in Brand.objects.values_list("pk", flat=True)
    )
    clock.advance(timedelta(days=1))
    with connection.cursor() as cursor:  # the statistics of a live database (taken before settling)
        cursor.execute("ANALYZE")
    log("drawing up statements …")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        log(f"  {done:>6,} / {total:,} statements")

    made = generate_due_statements(progress=progress)
    seconds = time.perf_counter() - started
    lines = BrandStatementLine.objects.count()
    clock.reset()
    return {"statements": made, "statement_lines": lines, "statements_s": round(seconds, 2)}


def reconciliation_phase(vendor: str, orders: int, log: Callable[[str], None]) -> dict:
    from django.db import connection, transaction

    from fenxiao.core.sql import dt
    from fenxiao.payments.gateways.sandbox import CHINA
    from fenxiao.payments.reconciliation import reconcile, today_in_china

    day = today_in_china() - timedelta(days=1)
    paid = dt(datetime.combine(day, datetime.min.time(), tzinfo=CHINA) + timedelta(hours=12))
    pad = "lpad(o.id::text, 20, '0')" if vendor == "postgresql" else "printf('%%020d', o.id)"
    log(f"writing {orders:,} payments and the provider's records of them …")
    chunk = 100_000
    with transaction.atomic(), connection.cursor() as cursor:
        for lo in range(1, orders + 1, chunk):
            hi = min(orders, lo + chunk - 1)
            cursor.execute(
                "INSERT INTO payments_payment (out_trade_no, payer_id, amount, currency, description, gateway,"
                " purpose, reference, status, provider_transaction_id, refunded_amount, created_at, paid_at)"
                f" SELECT 'P' || {pad}, o.consumer_id, o.paid_amount, 'CNY', 'bench', 'sandbox', 'checkout',"
                f" 'checkout:' || o.id, 'succeeded', 'T' || {pad}, 0, %s, %s"
                " FROM trade_order o WHERE o.id BETWEEN %s AND %s",
                [paid, paid, lo, hi],
            )
            # the provider: no record of order 1, one fen more on order 2
            cursor.execute(
                "INSERT INTO payments_sandboxtransaction (token, out_trade_no, merchant, description, amount,"
                " notify_url, return_url, state, transaction_id, refunded, created_at, success_time)"
                f" SELECT 'K' || {pad}, 'P' || {pad}, 'fenxiao', 'bench',"
                " o.paid_amount + CASE WHEN o.id = 2 THEN 1 ELSE 0 END, 'http://127.0.0.1/', '/', 'SUCCESS',"
                f" 'T' || {pad}, 0, %s, %s FROM trade_order o WHERE o.id BETWEEN %s AND %s AND o.id <> 1",
                [paid, paid, lo, hi],
            )
            log(f"  {hi:>9,} payments")
        cursor.execute(
            "INSERT INTO payments_sandboxtransaction (token, out_trade_no, merchant, description, amount,"
            " notify_url, return_url, state, transaction_id, refunded, created_at, success_time)"
            " VALUES ('KNOTOURS', 'PNOTOURS', 'fenxiao', 'bench', 777, 'http://127.0.0.1/', '/', 'SUCCESS',"
            " 'TNOTOURS', 0, %s, %s)",
            [paid, paid],
        )
        cursor.execute("ANALYZE")
    log(f"reconciling the sandbox bills of {day} …")
    started = time.perf_counter()
    shown = [started]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - shown[0] >= 5 or done == total:
            shown[0] = time.perf_counter()
            log(f"  {done:>9,} / {total:,} of our records matched")

    run = reconcile("sandbox", day, progress=progress)
    seconds = time.perf_counter() - started
    kinds = sorted(run.breaks.values_list("kind", flat=True))
    if kinds != ["amount_differs", "missing_ours", "missing_theirs"] or run.matched != orders - 2:
        raise SystemExit(f"reconciliation found {kinds}, {run.matched:,} matched")
    return {"reconciled_lines": run.bill_lines, "reconciliation_s": round(seconds, 2)}
