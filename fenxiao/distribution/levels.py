"""Distributor levels: the sales a distributor's settled orders count for, and the move up to
the highest level those sales or its bound customers reach.

What counts (:data:`COUNTED_SALES`): the paid goods of the distributor's level-1 commissions not
reversed in full, less what was refunded of them (refunds come off the goods first), on settled
orders.  Settlement keeps the running total on the membership — per order
(:func:`add_settled_sales`) and per batch (:func:`add_batch_settled_sales`, its set-based twin) —
and a refund after settlement takes its goods back out (:func:`remove_refunded_sales`), so a level
check reads one number and never re-adds a distributor's settled history.  :func:`settled_sales`
computes the same number from the commissions (the check and the backfill).  Levels only go up.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core.sql import analyze, temp_table, update_from, without_automatic_indexes

from .models import (
    Commission,
    CommissionStatus,
    CustomerBinding,
    DistributorLevel,
    DistributorMembership,
    DistributorNotice,
)

# "Settled" as the level rules test it.  COALESCE on purpose: PostgreSQL has no statistics for the
# expression, so stale ones ("nothing is settled yet", right after a large settlement) cannot make
# it walk every order of the brand instead of the distributor's few commissions.
SETTLED_ORDER = "COALESCE(o.settled_at, NULL) IS NOT NULL"
# The commissions whose paid goods count for levels: level 1, not reversed in full (an order
# refunded in full before settlement sold nothing).
LEVEL_COMMISSION = "c.level = 1 AND c.status <> 'reversed'"
# What one such commission (``c``) of its order (``o``) counts: its goods less what was refunded.
COUNTED_SALES = (
    "(CASE WHEN c.base_amount > o.refunded_amount THEN c.base_amount - o.refunded_amount ELSE 0 END)"
)
SALES_DELTAS = "distribution_settled_sales_delta"
CANDIDATES = "distribution_level_candidate"


def counted_sales(*, base: int, refunded: int) -> int:
    """What a level-1 commission on ``base`` fen of goods counts once ``refunded`` fen of its order
    were refunded (:data:`COUNTED_SALES` in Python)."""
    return max(0, base - refunded)


def settled_sales(*, brand_id: int, distributor_id: int) -> int:
    """What counts for levels, computed from the commissions: :data:`COUNTED_SALES` of the
    distributor's level-1 commissions (not reversed) on settled orders of the brand (fen)."""
    from fenxiao.trade.models import Order

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUM({COUNTED_SALES}) FROM {Commission._meta.db_table} c"
            f" JOIN {Order._meta.db_table} o ON o.id = c.order_id"
            f" WHERE c.distributor_id = %s AND {LEVEL_COMMISSION} AND o.brand_id = %s AND {SETTLED_ORDER}",
            [distributor_id, brand_id],
        )
        return cursor.fetchone()[0] or 0


def _level_commissions(order):
    return (
        Commission.objects.filter(order=order, level=1)
        .exclude(status=CommissionStatus.REVERSED)
        .values_list("distributor_id", "base_amount")
    )


def add_settled_sales(order) -> None:
    """Add a just-settled order's counted goods to its distributor's settled sales (per order; the
    batch twin is :func:`add_batch_settled_sales`)."""
    for distributor_id, base in _level_commissions(order):
        counted = counted_sales(base=base, refunded=order.refunded_amount)
        if counted:
            DistributorMembership.objects.filter(
                brand_id=order.brand_id, distributor_id=distributor_id
            ).update(settled_sales=F("settled_sales") + counted)


def remove_refunded_sales(order, amount: int) -> None:
    """A refund of ``amount`` fen of a settled ``order`` (``order.refunded_amount`` as before it):
    its goods no longer count."""
    for distributor_id, base in _level_commissions(order):
        before = counted_sales(base=base, refunded=order.refunded_amount)
        after = counted_sales(base=base, refunded=order.refunded_amount + amount)
        if before > after:
            DistributorMembership.objects.filter(
                brand_id=order.brand_id, distributor_id=distributor_id
            ).update(settled_sales=F("settled_sales") - (before - after))


def add_batch_settled_sales(table: str) -> None:
    """:func:`add_settled_sales` for the settled orders in ``table`` (columns ``order_id``,
    ``brand_id``, ``goods``): one INSERT … SELECT of the sums and one UPDATE.  The batch's
    ``goods`` (``platform_fee.amounts_sql``: what the order keeps less shipping) is exactly
    :data:`COUNTED_SALES` of the order's level-1 commission — its base is the goods paid, and
    refunds come off the goods first — so no order row is read again."""
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
            f" SELECT b.brand_id, c.distributor_id, SUM(b.goods) FROM {table} b"
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


def best_level(levels, *, sales: int, customers: int) -> DistributorLevel | None:
    """The highest-rate level (first of equals in the levels' order) that ``sales`` fen of settled
    sales or ``customers`` bound customers reach."""
    reached = [
        lvl
        for lvl in levels
        if sales >= lvl.min_sales and (lvl.min_customers == 0 or customers >= lvl.min_customers)
    ]
    return max(reached, key=lambda lvl: lvl.rate_bps, default=None)


def upgrade_level(*, brand_id: int, distributor_id: int) -> DistributorLevel | None:
    """Move a distributor up to the highest level its settled sales or customers reach.  Levels
    only go up: a lower result never downgrades silently."""
    membership = (
        DistributorMembership.objects.select_for_update(of=("self",))
        .select_related("level")
        .filter(brand_id=brand_id, distributor_id=distributor_id)
        .first()
    )
    if membership is None:
        return None
    sales = membership.settled_sales
    customers = CustomerBinding.objects.filter(brand_id=brand_id, distributor_id=distributor_id).count()
    best = best_level(DistributorLevel.objects.filter(brand_id=brand_id), sales=sales, customers=customers)
    if best and (membership.level is None or best.rate_bps > membership.level.rate_bps):
        membership.level = best
        membership.save(update_fields=["level"])
        DistributorNotice.objects.create(
            distributor_id=distributor_id,
            message=_("You reached the level %(level)s.") % {"level": best.name},
        )
    return membership.level


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
        brand_id__in={brand for brand, _user in candidates}
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
