"""The commission rule, from payment to settlement and refunds, each step beside its SQL twin.

- **Paid** (:func:`record_commissions`): the base is the paid price of the goods after every
  discount, without shipping.  Level 1 earns, per line, the product's override rate when it has
  one, else the distributor's level rate, else the program's rate (one :class:`CommissionLine` per
  order line records the rate applied); level 2 (when the brand enables it) the program's level-2
  rate on the whole base, but never more than level 1 leaves of the base — so the sum never
  exceeds what was paid, whatever the rates and their rounding.  Each commission is posted pending
  (``ledger.record_commission_pending``).
- **Freeze** (:func:`freeze_delay` / :func:`freeze_delay_sql`): an order that earned commission
  settles the program's ``freeze_days`` after completion.
- **Settled** (:func:`available_at_settlement` / :func:`available_at_settlement_sql`): each
  commission not reversed in full makes ``amount − reversed_amount`` available; then
  (:func:`make_available` / :func:`make_available_batch`) pending commissions become available,
  each announced by a ``commission.available`` event, and the distributor's settled sales and
  level move (``levels``).
- **Refunded before settlement** (:func:`reverse_pending`): each pending commission gives back its
  share of the goods refunded (``trade.refund_split.pending_commission_part``), posted as a
  reversal entry.  **After settlement** (:func:`claw_back`): the parts ``trade.refund_split`` took
  from each commission are recorded on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.db.models.expressions import RawSQL

from fenxiao.core import clock
from fenxiao.core.events import publish, publish_select
from fenxiao.core.money import apply_bps
from fenxiao.core.sql import json_object
from fenxiao.ledger import services as ledger
from fenxiao.trade.extensions import DelaySQL, SettledBatch
from fenxiao.trade.models import Order
from fenxiao.trade.refund_split import pending_commission_part

from . import levels
from .models import (
    Commission,
    CommissionLine,
    CommissionStatus,
    DistributionProgram,
    DistributorMembership,
    ProductCommissionRate,
)
from .programs import program_for

log = logging.getLogger("fenxiao.distribution.commission")


@dataclass(frozen=True)
class LinePart:
    line_id: int
    base: int
    rate_bps: int
    amount: int


def level1_parts(lines, *, overrides: dict[int, int], default_rate: int) -> list[LinePart]:
    """Level 1 per order line: the product's override rate, else ``default_rate``."""
    parts = []
    for line in lines:
        rate = overrides.get(line.product_id_snapshot, default_rate)
        parts.append(LinePart(line.pk, line.paid_amount, rate, apply_bps(line.paid_amount, rate)))
    return parts


def level2_amount(*, base: int, level1: int, rate_bps: int) -> int:
    """Level 2 on the whole base, capped at what level 1 leaves of it."""
    return min(apply_bps(base, rate_bps), base - level1)


def distributor_rate(program: DistributionProgram, *, distributor_id: int) -> int:
    """The distributor's level-1 rate at the program's brand: its level's rate, else the program's."""
    tier = (
        DistributorMembership.objects.filter(brand_id=program.brand_id, distributor_id=distributor_id)
        .values_list("level__rate_bps", flat=True)
        .first()
    )
    return program.level1_bps if tier is None else tier


def estimate_level1(
    *, brand_id: int, distributor_id: int, prices: dict[int, tuple[int, int]]
) -> dict[int, LinePart]:
    """What the distributor would earn at level 1 on one unit of each SKU, by the rule
    :func:`record_commissions` applies when paid: ``prices`` is {SKU id: (product id, price)};
    returns {SKU id: LinePart} (``line_id`` the SKU id).  An estimate: discounts paid by the
    customer lower the base."""
    program = program_for(brand_id)
    overrides = dict(
        ProductCommissionRate.objects.filter(
            product_id__in={product_id for product_id, _price in prices.values()}
        ).values_list("product_id", "level1_bps")
    )
    default = distributor_rate(program, distributor_id=distributor_id)
    result = {}
    for sku_id, (product_id, price) in prices.items():
        rate = overrides.get(product_id, default)
        result[sku_id] = LinePart(sku_id, price, rate, apply_bps(price, rate))
    return result


def record_commissions(order) -> None:
    """The order became paid: its commissions, pending (idempotent per order and level)."""
    if order.distributor_id is None:
        return
    program = program_for(order.brand_id)
    lines = list(order.lines.all())
    overrides = dict(
        ProductCommissionRate.objects.filter(
            product_id__in=[line.product_id_snapshot for line in lines]
        ).values_list("product_id", "level1_bps")
    )
    base = sum(line.paid_amount for line in lines)
    parts = level1_parts(
        lines,
        overrides=overrides,
        default_rate=distributor_rate(program, distributor_id=order.distributor_id),
    )
    level1 = sum(p.amount for p in parts)
    rates = {p.rate_bps for p in parts}
    entries = [(1, order.distributor_id, level1, rates.pop() if len(rates) == 1 else None, parts)]
    if program.level2_enabled and order.inviter_id:
        level2 = level2_amount(base=base, level1=level1, rate_bps=program.level2_bps)
        if level2 < apply_bps(base, program.level2_bps):
            log.warning(
                "order %s: level-2 commission capped at ¥%s (level 1 takes ¥%s of ¥%s paid for the goods)",
                order.order_no,
                f"{level2 / 100:.2f}",
                f"{level1 / 100:.2f}",
                f"{base / 100:.2f}",
            )
        entries.append((2, order.inviter_id, level2, program.level2_bps, []))
    now = clock.now()
    for level, user_id, amount, rate, line_parts in entries:
        if amount <= 0:
            continue
        commission, created = Commission.objects.get_or_create(
            order=order,
            level=level,
            defaults={
                "distributor_id": user_id,
                "base_amount": base,
                "rate_bps": rate,
                "amount": amount,
                "created_at": now,
            },
        )
        if not created:
            continue
        CommissionLine.objects.bulk_create(
            [
                CommissionLine(
                    commission=commission,
                    order_line_id=p.line_id,
                    base_amount=p.base,
                    rate_bps=p.rate_bps,
                    amount=p.amount,
                )
                for p in line_parts
            ]
        )
        ledger.record_commission_pending(
            order_reference=order.reference,
            brand=order.brand_id,
            user=user_id,
            amount=amount,
            idempotency_key=f"commission:{commission.pk}",
        )


# -- freeze --------------------------------------------------------------------------------------


def freeze_delay(order) -> timedelta:
    """Orders that earned commission wait the program's freeze days (refunds in that window
    reverse pending commission instead of clawing back)."""
    if order.distributor_id is None:
        return timedelta(0)
    days = (
        DistributionProgram.objects.filter(brand_id=order.brand_id)
        .values_list("freeze_days", flat=True)
        .first()
    )
    return timedelta(days=days or 0)


def freeze_delay_sql() -> DelaySQL:
    """:func:`freeze_delay` for the settlement batch."""
    program = DistributionProgram._meta.db_table
    values = set(DistributionProgram.objects.values_list("freeze_days", flat=True).distinct())
    return DelaySQL(
        join=f"LEFT JOIN {program} sd_program ON sd_program.brand_id = o.brand_id",
        days="(CASE WHEN o.distributor_id IS NULL THEN 0 ELSE COALESCE(sd_program.freeze_days, 0) END)",
        values=tuple(sorted(values | {0})),
    )


# -- settled -------------------------------------------------------------------------------------


def available_at_settlement(order) -> dict[int, int]:
    """{distributor id: fen} the order's settlement makes available."""
    return {
        c.distributor_id: c.amount - c.reversed_amount
        for c in Commission.objects.filter(order=order).exclude(status=CommissionStatus.REVERSED)
    }


def available_at_settlement_sql(table: str) -> tuple[str, list]:
    """:func:`available_at_settlement` for the orders listed in ``table``: ``order_id``,
    ``user_id``, ``amount``."""
    return (
        f"SELECT c.order_id AS order_id, c.distributor_id AS user_id, c.amount - c.reversed_amount AS amount"
        f" FROM {table} sd_b CROSS JOIN {Commission._meta.db_table} c"  # the batch drives (SQLite)
        " WHERE c.order_id = sd_b.order_id AND c.status <> %s",
        [CommissionStatus.REVERSED],
    )


def make_available(order) -> None:
    """After the order's settlement entry: pending commissions become available (each announced
    by a ``commission.available`` event), the settled sales count and the distributor's level
    moves."""
    Commission.objects.filter(order=order, status=CommissionStatus.PENDING).update(
        status=CommissionStatus.AVAILABLE, available_at=clock.now()
    )
    for commission in Commission.objects.filter(order=order, status=CommissionStatus.AVAILABLE).order_by(
        "pk"
    ):
        publish(
            "commission.available",
            {
                "commission_id": commission.pk,
                "order_id": order.pk,
                "order_no": order.order_no,
                "brand_id": order.brand_id,
                "distributor_id": commission.distributor_id,
                "amount": commission.amount - commission.reversed_amount,
            },
            aggregate=f"commission:{commission.pk}",
        )
    levels.add_settled_sales(order)
    if order.distributor_id:
        levels.upgrade_level(brand_id=order.brand_id, distributor_id=order.distributor_id)


def make_available_batch(batch: SettledBatch) -> None:
    """:func:`make_available` for a settlement batch."""
    in_batch = RawSQL(f"SELECT order_id FROM {batch.table}", ())
    Commission.objects.filter(order_id__in=in_batch, status=CommissionStatus.PENDING).update(
        status=CommissionStatus.AVAILABLE, available_at=batch.now
    )
    payload = json_object(
        commission_id="c.id",
        order_id="c.order_id",
        order_no="o.order_no",
        brand_id="o.brand_id",
        distributor_id="c.distributor_id",
        amount="c.amount - c.reversed_amount",
    )
    publish_select(
        "commission.available",
        f"SELECT c.order_id AS order_id, c.id AS commission_id, 'commission:' || c.id AS aggregate,"
        f" {payload} AS payload FROM {batch.table} ev_b"  # the batch drives the joins (SQLite)
        f" CROSS JOIN {Commission._meta.db_table} c CROSS JOIN {Order._meta.db_table} o"
        " WHERE c.order_id = ev_b.order_id AND o.id = c.order_id AND c.status = %s",
        [CommissionStatus.AVAILABLE],
        order_by="x.order_id, x.commission_id",
    )
    levels.add_batch_settled_sales(batch.table)
    levels.upgrade_levels(batch.table)


# -- refunded ------------------------------------------------------------------------------------


def reverse_pending(order, refund_amount: int) -> None:
    """Before settlement: each pending commission gives back its share of the goods refunded
    (refunds come off the goods first, see ``trade.platform_fee``)."""
    goods_before = order.paid_amount - order.shipping_amount - order.refunded_amount
    if goods_before <= 0:
        return
    for commission in Commission.objects.select_for_update().filter(
        order=order, status=CommissionStatus.PENDING
    ):
        left = commission.amount - commission.reversed_amount
        part = pending_commission_part(left=left, goods_before=goods_before, refund=refund_amount)
        if part <= 0:
            continue
        ledger.record_commission_reversal(
            reference=order.reference,
            brand=order.brand_id,
            user=commission.distributor_id,
            amount=part,
            idempotency_key=f"commission-reversal:{commission.pk}:{commission.reversed_amount}",
        )
        Commission.objects.filter(pk=commission.pk).update(
            reversed_amount=F("reversed_amount") + part,
            status=CommissionStatus.REVERSED if part == left else CommissionStatus.PENDING,
        )


def claw_back(order, parts: dict[int, int]) -> None:
    """After settlement: record on each commission the part a refund took back."""
    for commission in Commission.objects.select_for_update().filter(order=order).order_by("level"):
        part = min(parts.get(commission.distributor_id, 0), commission.amount - commission.reversed_amount)
        if part > 0:
            Commission.objects.filter(pk=commission.pk).update(reversed_amount=F("reversed_amount") + part)
            parts[commission.distributor_id] -= part
