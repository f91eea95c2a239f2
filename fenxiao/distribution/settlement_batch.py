"""The set-based twins of the commission settlement hooks (``commissions.py``), for the
settlement batch (``trade.settlement``; the contract is in ``trade.hooks``).

- freeze days: the brand program's ``freeze_days`` for an order with a distributor, 0 otherwise;
- commissions: per order and distributor, ``amount − reversed_amount`` of the commissions not
  reversed;
- after settlement: pending commissions of the batch's orders become available, the batch's
  level-1 goods are added to each distributor's running ``settled_sales`` (one UPDATE), and each
  distributor of the batch moves up a level when its settled sales now reach one.  The level check
  runs once per (brand, distributor) of the batch: a set-based read finds the distributors a level
  could still move (the brand has a level above theirs) with their stored sales, and a count of
  their customers; ``services.upgrade_level`` (locks, moves, notifies) runs only for those whose
  sales or customers reach a higher level.  Nothing re-reads a distributor's settled history, so a
  batch costs the same however much has been settled before it.
"""

from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from fenxiao.core.sql import analyze, temp_table, update_from, without_automatic_indexes
from fenxiao.trade.hooks import DelaySQL, SettledBatch

from .models import (
    Commission,
    CommissionStatus,
    CustomerBinding,
    DistributionProgram,
    DistributorLevel,
    DistributorMembership,
)
from .services import LEVEL_COMMISSION, best_level, upgrade_level

CANDIDATES = "distribution_level_candidate"
SALES_DELTAS = "distribution_settled_sales_delta"


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
        f" FROM {table} sd_b CROSS JOIN {Commission._meta.db_table} c"  # the batch drives (SQLite)
        " WHERE c.order_id = sd_b.order_id AND c.status <> %s",
        [CommissionStatus.REVERSED],
    )


def after_settlement_batch(batch: SettledBatch) -> None:
    in_batch = RawSQL(f"SELECT order_id FROM {batch.table}", ())
    Commission.objects.filter(order_id__in=in_batch, status=CommissionStatus.PENDING).update(
        status=CommissionStatus.AVAILABLE, available_at=batch.now
    )
    add_batch_settled_sales(batch.table)
    upgrade_levels(batch.table)


def add_batch_settled_sales(table: str) -> None:
    """Add the level-1 goods of the settled orders in ``table`` (columns ``order_id``,
    ``brand_id``) to their distributors' ``settled_sales``: the per-order ``add_settled_sales``
    as one INSERT … SELECT of the sums and one UPDATE."""
    membership = DistributorMembership._meta.db_table
    with connection.cursor() as cursor:
        temp_table(
            cursor,
            SALES_DELTAS,
            "brand_id BIGINT NOT NULL, distributor_id BIGINT NOT NULL, amount BIGINT NOT NULL,"
            " PRIMARY KEY (brand_id, distributor_id)",
        )
        cursor.execute(
            f"INSERT INTO {SALES_DELTAS} (brand_id, distributor_id, amount)"
            f" SELECT b.brand_id, c.distributor_id, SUM(c.base_amount) FROM {table} b"
            f" CROSS JOIN {Commission._meta.db_table} c"  # the batch drives (SQLite)
            f" WHERE c.order_id = b.order_id AND {LEVEL_COMMISSION} GROUP BY b.brand_id, c.distributor_id"
        )
        analyze(cursor, SALES_DELTAS)
        update_from(
            cursor,
            membership,
            {"settled_sales": f"{membership}.settled_sales + d.amount"},
            f"{SALES_DELTAS} d",
            f"d.brand_id = {membership}.brand_id AND d.distributor_id = {membership}.distributor_id",
            rows=f"(brand_id, distributor_id) IN (SELECT brand_id, distributor_id FROM {SALES_DELTAS})",
        )


def upgrade_levels(table: str) -> int:
    """``upgrade_level`` for each (brand, distributor) of the settled orders in ``table``
    (columns ``brand_id``, ``distributor_id``) whose level can move; returns how many moved.

    The candidates (a level above theirs exists) and their stored sales go into a scratch table
    that drives the customer count (``CROSS JOIN`` keeps SQLite's join order)."""
    level = DistributorLevel._meta.db_table
    with connection.cursor() as cursor:
        temp_table(
            cursor,
            CANDIDATES,
            "brand_id BIGINT NOT NULL, distributor_id BIGINT NOT NULL, rate BIGINT NOT NULL,"
            " sales BIGINT NOT NULL, PRIMARY KEY (brand_id, distributor_id)",
        )
        cursor.execute(
            f"INSERT INTO {CANDIDATES} (brand_id, distributor_id, rate, sales)"
            " SELECT p.brand_id, p.distributor_id, COALESCE(cur.rate_bps, -1), m.settled_sales FROM"
            f" (SELECT DISTINCT brand_id, distributor_id FROM {table} WHERE distributor_id IS NOT NULL) p"
            f" JOIN {DistributorMembership._meta.db_table} m"
            "  ON m.brand_id = p.brand_id AND m.distributor_id = p.distributor_id"
            f" LEFT JOIN {level} cur ON cur.id = m.level_id"
            f" WHERE EXISTS (SELECT 1 FROM {level} l WHERE l.brand_id = p.brand_id"
            "  AND l.rate_bps > COALESCE(cur.rate_bps, -1))"
        )
        cursor.execute(
            f"SELECT brand_id, distributor_id, rate, sales FROM {CANDIDATES} ORDER BY brand_id, distributor_id"
        )
        candidates = {(brand, user): (rate, sales) for brand, user, rate, sales in cursor.fetchall()}
        if not candidates:
            return 0
        analyze(cursor, CANDIDATES)
        with without_automatic_indexes(cursor):  # SQLite: the binding index, not a full scan
            cursor.execute(
                f"SELECT p.brand_id, p.distributor_id, COUNT(*) FROM {CANDIDATES} p"
                f" CROSS JOIN {CustomerBinding._meta.db_table} b"
                " WHERE b.brand_id = p.brand_id AND b.distributor_id = p.distributor_id"
                " GROUP BY p.brand_id, p.distributor_id"
            )
            customers = {(brand, user): n for brand, user, n in cursor.fetchall()}
    levels: dict[int, list[DistributorLevel]] = {}
    for lvl in DistributorLevel.objects.filter(
        brand_id__in={brand for brand, _ in candidates}
    ):  # model order
        levels.setdefault(lvl.brand_id, []).append(lvl)
    moved = 0
    for (brand, user), (rate, sales) in candidates.items():
        best = best_level(
            levels.get(brand, []),
            sales=sales,
            customers=customers.get((brand, user), 0),
        )
        if best is not None and best.rate_bps > rate:
            upgrade_level(brand_id=brand, distributor_id=user)
            moved += 1
    return moved
