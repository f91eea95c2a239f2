"""Rebuild every rollup from the source tables (``manage.py rebuild_analytics``).

Brand by brand, the day rows are computed by the same aggregate queries as ``direct.py``, so a
rebuilt cube equals the direct computation by construction.  Events published before the
rebuild started (``CubeState.watermark``) are then skipped by the subscribers; refunds counted
here are marked applied.  Run it with the worker stopped (or at a quiet time): an event
committed during the rebuild with an id below the watermark would be missed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Max, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from fenxiao.core.models import OutboxEvent

from . import direct
from .models import Applied, CubeState, DailyCustomer, DailyStat, DailyVisitor, Dim
from .periods import DateRange
from .selectors import Scope

EVERYTHING = DateRange(date(2000, 1, 1), date(2999, 12, 31))
DIMS = (Dim.ALL, Dim.PRODUCT, Dim.DISTRIBUTOR, Dim.CHANNEL, Dim.PROVINCE)
BATCH = 5000


def _stat_rows(brand_id: int, refunds: direct.RefundsByOrder) -> list[DailyStat]:
    rows = []
    for dim in DIMS:
        for (day, key), values in direct.counters(
            Scope(brand_id=brand_id), EVERYTHING, dim, by_day=True, refunds=refunds
        ).items():
            rows.append(DailyStat(day=day, brand_id=brand_id, dim=dim, key=key[:40], **values))
    return rows


def _customer_rows(brand_id: int) -> list[DailyCustomer]:
    from fenxiao.trade.models import Order

    rows: dict[tuple, DailyCustomer] = {}
    orders = (
        Order.objects.order_by().filter(brand_id=brand_id).annotate(dist=Coalesce("distributor_id", Value(0)))
    )
    for field in ("created_at", "paid_at"):
        grouped = (
            orders.filter(**{f"{field}__isnull": False})
            .annotate(d=direct._day(field))
            .values("d", "dist", "consumer_id")
            .annotate(n=Count("id"), a=Sum("paid_amount"))
        )
        for row in grouped:
            key = (row["d"], row["dist"], row["consumer_id"])
            target = rows.setdefault(
                key,
                DailyCustomer(
                    day=row["d"],
                    brand_id=brand_id,
                    distributor_id=row["dist"],
                    consumer_id=row["consumer_id"],
                ),
            )
            if field == "created_at":
                target.orders += row["n"]
            else:
                target.paid_orders += row["n"]
                target.paid_amount += row["a"]
    return list(rows.values())


def _visitor_rows(brand_id: int) -> list[DailyVisitor]:
    from fenxiao.distribution.models import Visit

    key = Case(
        When(visitor__isnull=False, then=Concat(Value("u"), Cast("visitor_id", CharField()))),
        When(~Q(session_key=""), then=Concat(Value("s"), "session_key")),
        default=Concat(Value("v"), Cast("id", CharField())),
        output_field=CharField(),
    )
    grouped = (
        Visit.objects.order_by()
        .filter(link__brand_id=brand_id)
        .annotate(d=direct._day("at"), k=key)
        .values("d", "link__distributor_id", "k")
        .distinct()
    )
    return [
        DailyVisitor(
            day=row["d"], brand_id=brand_id, distributor_id=row["link__distributor_id"], visitor=row["k"]
        )
        for row in grouped
    ]


@transaction.atomic
def rebuild(progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Replace every rollup by a fresh computation; returns the row counts written."""
    from fenxiao.accounts.models import Brand
    from fenxiao.payments.models import Refund, RefundStatus

    watermark = OutboxEvent.objects.aggregate(m=Max("id"))["m"] or 0
    last_refund = Refund.objects.aggregate(m=Max("id"))["m"] or 0
    for model in (DailyStat, DailyCustomer, DailyVisitor, Applied):
        model.objects.all().delete()
    brand_ids = list(Brand.objects.order_by("id").values_list("id", flat=True))
    totals = {"stats": 0, "customers": 0, "visitors": 0}
    refunds = direct.refunds_by_order(EVERYTHING)  # read once, not once per brand and dimension
    progress(f"{len(brand_ids)} brands, {sum(map(len, refunds.values()))} refunds")
    for index, brand_id in enumerate(brand_ids, 1):
        stats = _stat_rows(brand_id, refunds)
        people, visitors = _customer_rows(brand_id), _visitor_rows(brand_id)
        DailyStat.objects.bulk_create(stats, batch_size=BATCH)
        DailyCustomer.objects.bulk_create(people, batch_size=BATCH)
        DailyVisitor.objects.bulk_create(visitors, batch_size=BATCH)
        totals["stats"] += len(stats)
        totals["customers"] += len(people)
        totals["visitors"] += len(visitors)
        progress(
            f"brand {index}/{len(brand_ids)} (#{brand_id}): {len(stats)} day rows, "
            f"{len(people)} customer-days, {len(visitors)} visitor-days"
        )
    applied = Refund.objects.filter(pk__lte=last_refund, status=RefundStatus.SUCCEEDED, purpose="checkout")
    Applied.objects.bulk_create(
        [Applied(key=f"refund:{pk}") for pk in applied.values_list("pk", flat=True)], batch_size=BATCH
    )
    with connection.cursor() as cursor:  # fresh planner statistics (SQLite picks bad plans without)
        for model in (DailyStat, DailyCustomer, DailyVisitor):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    CubeState.objects.all().delete()
    CubeState.objects.create(watermark=watermark, rebuilt_at=timezone.now())
    progress(f"done: {totals['stats']} day rows, events up to #{watermark} included")
    return totals
