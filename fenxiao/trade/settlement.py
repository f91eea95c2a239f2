"""Settling completed orders in batches: a handful of set-based statements per batch of
thousands of orders, one transaction per batch, in time linear in the number of orders.

:func:`settle_due_orders` settles one batch, :func:`settle_all_due` batch after batch (the
worker's ``trade.settle_orders`` timer, the ``settle_orders`` command).  A batch writes exactly
what :func:`fulfilment.settle` writes order by order — the same ledger entries, lines, balances and
audit records, order fields, commission states and ``commission.available`` events — except that a
distributor whose settled sales cross two level thresholds within one batch is told of the last
level only (``upgrade_level`` runs once per distributor and batch, not once per order).

1. **Pick** the due batch: completed, not settled, ``completed_at`` at least
   max(``conf.settlement_delay()``, the extensions' delay days) ago — the per-order path's rule: the
   timer filters by the base delay and ``settle`` by the freeze days — ordered by id, after the
   caller's cursor, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so any number of workers can run
   batches side by side (SQLite serialises writers anyway).  The partial index
   ``order_awaiting_settlement`` keeps the pick proportional to the batch, not to the history.
2. **Amounts** per order in integer SQL: ``platform_fee.amounts_sql``, the twin of the per-order
   ``platform_fee.settlement_amounts``; commission per (order, distributor) from the extensions'
   ``settlement_commissions_sql``.
3. **Refused orders are skipped and logged**, the rest of the batch settles: an order whose
   commission and fee exceed what it kept (``settle`` raises ``LedgerError`` for it) stays
   unsettled for a person to look at, logged at every run.  If the ledger refuses the batch (an
   account's sign rule; a settlement entry that exists already), the batch is rolled back and its
   orders are settled one by one through ``settle`` (``post_entry`` compares an existing entry's
   lines), each refusal logged, so one bad order never holds up the others.
4. **Orders** marked settled, then the extensions' ``on_settled_batch`` (commissions available,
   levels, events), then the **ledger** (``ledger.batch``) last: the platform accounts every payment also
   posts to stay locked only for the last statements.

Orders paid on the service-provider funds flow (``partner_flow``) are left out of the batches:
each needs calls to the provider (profit sharing, unfreeze), so :func:`settle_all_due` settles them
order by order through ``settle`` first (:func:`settle_partner_orders`).

Every per-order settlement step of an extension has its set-based twin (``extensions.register``
refuses one without at start-up), so a batch never falls back to the per-order path except for
the refusals of step 3.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction

from fenxiao.core import clock
from fenxiao.core.sql import analyze, dt, is_postgres, lock_skip_locked, temp_table, update_from
from fenxiao.ledger import batch as ledger_batch
from fenxiao.ledger.services import LedgerError
from fenxiao.payments.models import Payment
from fenxiao.payments.partner_models import PARTNER_GATEWAY

from . import conf, extensions
from .errors import TradeError
from .fulfilment import settle
from .models import Checkout, Order, OrderStatus
from .platform_fee import amounts_sql

log = logging.getLogger("fenxiao.trade.settlement")

BATCH_SIZE = 5000
ORDERS = "trade_settle_batch"
COMMISSIONS = "trade_settle_commission"
ORDER = Order._meta.db_table
CHECKOUT = Checkout._meta.db_table
PAYMENT = Payment._meta.db_table
# As fulfilment.settle writes them: Order.reference and the settlement's idempotency key.
REFERENCE = "'order:' || order_id"
IDEMPOTENCY_KEY = "'settle:' || order_id"


@dataclass
class Outcome:
    picked: int = 0
    settled: int = 0
    last_id: int = 0
    skipped: tuple[int, ...] = ()
    one_by_one: bool = False


def settle_due_orders(*, batch_size: int = BATCH_SIZE, now: datetime | None = None, after_id: int = 0) -> int:
    """Settle one batch of due orders (ids above ``after_id``); returns how many were settled."""
    return settle_batch(batch_size=batch_size, now=now, after_id=after_id).settled


def settle_all_due(
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
    max_batches: int | None = None,
    seconds: float | None = None,
    progress: Callable[[Outcome, int], None] | None = None,
) -> int:
    """Batch after batch until nothing is due (or ``max_batches`` / ``seconds`` ran out); each
    batch commits on its own.  The cursor moves past skipped orders, so a run always ends.
    ``progress(outcome, settled_so_far)`` after each batch."""
    started, after, batches = time.monotonic(), 0, 0
    total = settle_partner_orders(now=now)
    while True:
        outcome = settle_batch(batch_size=batch_size, now=now, after_id=after)
        total += outcome.settled
        batches += 1
        if progress and outcome.picked:
            progress(outcome, total)
        if outcome.picked < batch_size:
            return total
        after = outcome.last_id
        if max_batches and batches >= max_batches:
            return total
        if seconds is not None and time.monotonic() - started > seconds:
            return total


def settle_partner_orders(*, now: datetime | None = None) -> int:
    """Settle the completed service-provider orders whose freeze is over, one by one (``settle``
    checks the freeze); a refusal (the provider's or the ledger's) is logged and tried next run."""
    now = now or clock.now()
    candidates = Order.objects.filter(
        status=OrderStatus.COMPLETED,
        settled_at__isnull=True,
        completed_at__lte=now - conf.settlement_delay(),
        checkout__payment__gateway=PARTNER_GATEWAY,
    ).order_by("id")
    settled = 0
    for order_id in candidates.values_list("id", flat=True):
        try:
            with transaction.atomic():
                settled += settle(order_id) is not None
        except (LedgerError, IntegrityError, TradeError) as exc:
            log.warning("service-provider order %s not settled: %s", order_id, exc)
    return settled


def due_orders(now: datetime | None = None) -> int:
    """How many orders are due now (for progress and ETA)."""
    now = now or clock.now()
    where, params, join = _due_condition(now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {ORDER} o {join} WHERE {where}", params)
        return cursor.fetchone()[0]


def settle_batch(*, batch_size: int = BATCH_SIZE, now: datetime | None = None, after_id: int = 0) -> Outcome:
    now = now or clock.now()
    picked: list[int] = []
    try:
        with transaction.atomic():
            picked = _pick(now, after_id, batch_size)
            if not picked:
                return Outcome()
            return _settle_picked(now, picked)
    except (LedgerError, IntegrityError) as exc:
        if not picked:
            raise
        log.warning("settlement batch of %d orders refused (%s); settling them one by one", len(picked), exc)
        return _one_by_one(picked)


def _due_condition(now: datetime) -> tuple[str, list, str]:
    """WHERE (alias ``o``), its parameters and the joins it needs: completed, unsettled, and
    completed at least max(base delay, the extensions' delays) ago."""
    base = conf.settlement_delay()
    delays = extensions.settlement_delays_sql()
    join = " ".join(d.join for d in delays)
    where = (
        f"o.status = '{OrderStatus.COMPLETED.value}' AND o.settled_at IS NULL AND NOT EXISTS"
        f" (SELECT 1 FROM {CHECKOUT} sp_c JOIN {PAYMENT} sp_p ON sp_p.id = sp_c.payment_id"
        f" WHERE sp_c.id = o.checkout_id AND sp_p.gateway = '{PARTNER_GATEWAY}')"
    )
    if not delays:
        return f"{where} AND o.completed_at <= %s", [dt(now - base)], join
    days, values = "0", {0}
    for d in delays:
        days = f"(CASE WHEN {d.days} > {days} THEN {d.days} ELSE {days} END)"
        values |= set(d.values)
    cases = " ".join(f"WHEN {int(v)} THEN %s" for v in sorted(values))
    params = [dt(now - max(base, timedelta(days=v))) for v in sorted(values)]
    # A value that appeared after ``values`` was read (a program changed just now): not due yet.
    return f"{where} AND o.completed_at <= (CASE {days} {cases} ELSE NULL END)", params, join


def _pick(now: datetime, after_id: int, batch_size: int) -> list[int]:
    where, params, join = _due_condition(now)
    amounts = amounts_sql("o")
    with connection.cursor() as cursor:
        temp_table(
            cursor,
            ORDERS,
            "order_id BIGINT PRIMARY KEY, brand_id BIGINT NOT NULL, distributor_id BIGINT, goods BIGINT NOT NULL,"
            " shipping BIGINT NOT NULL, fee BIGINT NOT NULL, commission BIGINT NOT NULL DEFAULT 0",
        )
        cursor.execute(
            f"INSERT INTO {ORDERS} (order_id, brand_id, distributor_id, goods, shipping, fee)"
            f" SELECT o.id, o.brand_id, o.distributor_id, {amounts.goods}, {amounts.shipping}, {amounts.fee}"
            f" FROM {ORDER} o {join} WHERE {where} AND o.id > %s ORDER BY o.id LIMIT %s{lock_skip_locked('o')}",
            [*params, after_id, batch_size],
        )
        cursor.execute(f"SELECT order_id FROM {ORDERS} ORDER BY order_id")
        return [row[0] for row in cursor.fetchall()]


def _settle_picked(now: datetime, picked: list[int]) -> Outcome:
    with connection.cursor() as cursor:
        temp_table(
            cursor,
            COMMISSIONS,
            "order_id BIGINT NOT NULL, user_id BIGINT NOT NULL, amount BIGINT NOT NULL,"
            " PRIMARY KEY (order_id, user_id)",
        )
        sources = extensions.settlement_commissions_sql(ORDERS)
        if sources:
            union = " UNION ALL ".join(sql for sql, _ in sources)
            cursor.execute(
                f"INSERT INTO {COMMISSIONS} (order_id, user_id, amount)"
                f" SELECT x.order_id, x.user_id, SUM(x.amount) FROM ({union}) x"
                " GROUP BY x.order_id, x.user_id HAVING SUM(x.amount) <> 0",
                [p for _, params in sources for p in params],
            )
            update_from(
                cursor,
                ORDERS,
                {"commission": "c.total"},
                f"(SELECT order_id, SUM(amount) AS total FROM {COMMISSIONS} GROUP BY order_id) c",
                f"c.order_id = {ORDERS}.order_id",
            )
        skipped = _take_out(
            cursor,
            f"SELECT order_id FROM {ORDERS} WHERE goods - commission - fee + shipping < 0 ORDER BY order_id",
        )
        if skipped:
            log.warning(
                "not settled: commission and fee exceed what %d order(s) kept for the goods: %s",
                len(skipped),
                ", ".join(map(str, skipped[:20])),
            )
        analyze(cursor, ORDERS, COMMISSIONS)
        if is_postgres():  # one join instead of two lookups per row
            cursor.execute(
                f"UPDATE {ORDER} o SET settled_at = %s, settled_brand_amount = b.goods - b.commission - b.fee"
                f" + b.shipping, settled_fee = b.fee FROM {ORDERS} b WHERE b.order_id = o.id",
                [dt(now)],
            )
        else:
            cursor.execute(
                f"UPDATE {ORDER} SET settled_at = %s,"
                f" settled_brand_amount = (SELECT b.goods - b.commission - b.fee + b.shipping FROM {ORDERS} b"
                f" WHERE b.order_id = {ORDER}.id),"
                f" settled_fee = (SELECT b.fee FROM {ORDERS} b WHERE b.order_id = {ORDER}.id)"
                f" WHERE id IN (SELECT order_id FROM {ORDERS})",
                [dt(now)],
            )
        settled = cursor.rowcount
    extensions.settled_batch(extensions.SettledBatch(table=ORDERS, now=now, count=settled))
    ledger_batch.post_order_settlements(
        entries=(
            f"SELECT order_id, {IDEMPOTENCY_KEY}, {REFERENCE}, brand_id, goods, shipping, fee FROM {ORDERS}"
            " WHERE goods + shipping > 0",
            [],
        ),
        commissions=(f"SELECT order_id AS position, user_id, amount FROM {COMMISSIONS}", []),
    )
    return Outcome(
        picked=len(picked), settled=settled, last_id=picked[-1], skipped=tuple(skipped), one_by_one=False
    )


def _take_out(cursor, select: str) -> list[int]:
    """Remove the orders ``select`` finds from this batch."""
    cursor.execute(select)
    ids = [row[0] for row in cursor.fetchall()]
    for lo in range(0, len(ids), 500):
        chunk = ids[lo : lo + 500]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM {ORDERS} WHERE order_id IN ({marks})", chunk)
        cursor.execute(f"DELETE FROM {COMMISSIONS} WHERE order_id IN ({marks})", chunk)
    return ids


def _one_by_one(picked: list[int]) -> Outcome:
    """``fulfilment.settle`` for each order, each refusal logged and skipped."""
    settled, skipped = 0, []
    for order_id in picked:
        try:
            with transaction.atomic():
                settled += settle(order_id) is not None
        except (LedgerError, IntegrityError) as exc:
            log.warning("order %s not settled: %s", order_id, exc)
            skipped.append(order_id)
    return Outcome(
        picked=len(picked), settled=settled, last_id=picked[-1], skipped=tuple(skipped), one_by_one=True
    )
