"""The set-based twins of the commission settlement hooks (``commissions.py``), for the
settlement batch (``trade.settlement``; the contract is in ``trade.hooks``).

- freeze days: the brand program's ``freeze_days`` for an order with a distributor, 0 otherwise;
- commissions: per order and distributor, ``amount − reversed_amount`` of the commissions not
  reversed;
- after settlement: pending commissions of the batch's orders become available, and each
  distributor of the batch moves up a level when its settled sales now reach one.  The level check
  runs once per (brand, distributor) of the batch: a few set-based reads find the distributors a
  level could still move (the brand has a level above theirs) and their sales and customers, and
  ``services.upgrade_level`` (locks, moves, notifies) runs only for those whose sales reach a
  higher level.  Only sales of settled orders count, so one check after the whole batch reaches
  the level the per-order checks reach after its last order.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.expressions import RawSQL

from fenxiao.trade.hooks import DelaySQL, SettledBatch

from .models import (
    Commission,
    CommissionStatus,
    CustomerBinding,
    DistributionProgram,
    DistributorLevel,
    DistributorMembership,
)
from .services import best_level, upgrade_level

CHUNK = 500


def settlement_delay_sql() -> DelaySQL:
    program = DistributionProgram._meta.db_table
    values = set(DistributionProgram.objects.values_list("freeze_days", flat=True).distinct())
    return DelaySQL(
        join=f"LEFT JOIN {program} sd_program ON sd_program.brand_id = o.brand_id",
        days="(CASE WHEN o.distributor_id IS NULL THEN 0 ELSE COALESCE(sd_program.freeze_days, 0) END)",
        values=tuple(sorted(values | {0})),
    )


def settlement_commissions_sql(table: str) -> tuple[str, list]:
    return (
        f"SELECT c.order_id AS order_id, c.distributor_id AS user_id, c.amount - c.reversed_amount AS amount"
        f" FROM {Commission._meta.db_table} c JOIN {table} sd_b ON sd_b.order_id = c.order_id"
        " WHERE c.status <> %s",
        [CommissionStatus.REVERSED],
    )


def after_settlement_batch(batch: SettledBatch) -> None:
    in_batch = RawSQL(f"SELECT order_id FROM {batch.table}", ())
    Commission.objects.filter(order_id__in=in_batch, status=CommissionStatus.PENDING).update(
        status=CommissionStatus.AVAILABLE, available_at=batch.now
    )
    upgrade_levels(batch.table)


def upgrade_levels(table: str) -> int:
    """``upgrade_level`` for each (brand, distributor) of the settled orders in ``table``
    (columns ``brand_id``, ``distributor_id``) whose level can move; returns how many moved."""
    membership = DistributorMembership._meta.db_table
    level = DistributorLevel._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.brand_id, p.distributor_id, COALESCE(cur.rate_bps, -1) FROM"
            f" (SELECT DISTINCT brand_id, distributor_id FROM {table} WHERE distributor_id IS NOT NULL) p"
            f" JOIN {membership} m ON m.brand_id = p.brand_id AND m.distributor_id = p.distributor_id"
            f" LEFT JOIN {level} cur ON cur.id = m.level_id"
            f" WHERE EXISTS (SELECT 1 FROM {level} l WHERE l.brand_id = p.brand_id"
            "  AND l.rate_bps > COALESCE(cur.rate_bps, -1))"
            " ORDER BY p.brand_id, p.distributor_id"
        )
        candidates = {(brand, user): rate for brand, user, rate in cursor.fetchall()}
    if not candidates:
        return 0
    brands = sorted({brand for brand, _ in candidates})
    levels: dict[int, list[DistributorLevel]] = {}
    for lvl in DistributorLevel.objects.filter(brand_id__in=brands):  # in the model's order
        levels.setdefault(lvl.brand_id, []).append(lvl)
    sales: dict[tuple[int, int], int] = {}
    customers: dict[tuple[int, int], int] = {}
    pairs = sorted(candidates)
    for lo in range(0, len(pairs), CHUNK):
        chunk = pairs[lo : lo + CHUNK]
        users = {user for _, user in chunk}
        chunk_brands = {brand for brand, _ in chunk}
        for brand, user, total in (
            Commission.objects.filter(
                level=1,
                order__settled_at__isnull=False,
                distributor_id__in=users,
                order__brand_id__in=chunk_brands,
            )
            .values_list("order__brand_id", "distributor_id")
            .annotate(total=Sum("base_amount"))
            .order_by()
        ):
            sales[(brand, user)] = total
        for brand, user, n in (
            CustomerBinding.objects.filter(brand_id__in=chunk_brands, distributor_id__in=users)
            .values_list("brand_id", "distributor_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            customers[(brand, user)] = n
    moved = 0
    for brand, user in pairs:
        best = best_level(
            levels.get(brand, []),
            sales=sales.get((brand, user), 0),
            customers=customers.get((brand, user), 0),
        )
        if best is not None and best.rate_bps > candidates[(brand, user)]:
            upgrade_level(brand_id=brand, distributor_id=user)
            moved += 1
    return moved
