"""Dashboard numbers read from the rollups (fast: a handful of indexed aggregates per page).

``direct.py`` computes the same numbers from the source tables; tests hold them equal.
Every function takes a :class:`Scope`: one brand (console), one distributor (centre) or the
whole platform, and an inclusive :class:`~fenxiao.analytics.periods.DateRange`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat

from .models import COUNTERS, DailyCustomer, DailyStat, DailyVisitor, Dim
from .periods import DateRange, bucket

DISTINCTS = (
    "unique_visitors",
    "ordering_customers",
    "paying_customers",
    "repeat_customers",
    "funnel_visitors",
    "ordered_and_paid",
)
TOP_DIMS = ("product", "distributor", "province", "channel", "brand")


@dataclass(frozen=True)
class Scope:
    brand_id: int | None = None  # None: every brand (platform)
    distributor_id: int | None = None  # only this distributor's rows (distributor centre)


def zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def _stats(scope: Scope, period: DateRange, dim: str) -> QuerySet:
    rows = DailyStat.objects.filter(day__gte=period.start, day__lte=period.end)
    if scope.distributor_id is not None:
        rows = rows.filter(dim=Dim.DISTRIBUTOR, key=str(scope.distributor_id))
    else:
        rows = rows.filter(dim=Dim.ALL if dim == "brand" else dim)
    if scope.brand_id is not None:
        rows = rows.filter(brand_id=scope.brand_id)
    return rows


def _people(model, scope: Scope, period: DateRange) -> QuerySet:
    rows = model.objects.filter(day__gte=period.start, day__lte=period.end)
    if scope.brand_id is not None:
        rows = rows.filter(brand_id=scope.brand_id)
    if scope.distributor_id is not None:
        rows = rows.filter(distributor_id=scope.distributor_id)
    return rows


def _sums(rows: QuerySet) -> dict[str, int]:
    totals = rows.aggregate(**{name: Sum(name) for name in COUNTERS})
    return {name: int(totals[name] or 0) for name in COUNTERS}


def summary(scope: Scope, period: DateRange) -> dict[str, int]:
    """Counters over the range plus distinct people (visitors, customers who ordered / paid,
    customers who paid for two orders or more) and the funnel's steps:

    - ``funnel_visitors``: the unique visitors, and every customer who ordered in the range
      without a visit of its own (it came to the shop some other way), so no later step can
      outnumber the first;
    - ``ordering_customers``: customers who placed an order;
    - ``ordered_and_paid``: of those, the ones who paid (an order paid in the range)."""
    result = _sums(_stats(scope, period, Dim.ALL))
    visitors = _people(DailyVisitor, scope, period)
    result["unique_visitors"] = visitors.values("visitor").distinct().count()
    per_customer = (
        _people(DailyCustomer, scope, period)
        .values("consumer_id")
        .annotate(o=Sum("orders"), p=Sum("paid_orders"))
    )
    customers = per_customer.aggregate(
        ordering=Count("consumer_id", filter=Q(o__gt=0)),
        paying=Count("consumer_id", filter=Q(p__gt=0)),
        repeat=Count("consumer_id", filter=Q(p__gte=2)),
        ordered_and_paid=Count("consumer_id", filter=Q(o__gt=0, p__gt=0)),
    )
    result["ordering_customers"] = customers["ordering"] or 0
    result["paying_customers"] = customers["paying"] or 0
    result["repeat_customers"] = customers["repeat"] or 0
    result["ordered_and_paid"] = customers["ordered_and_paid"] or 0
    result["funnel_visitors"] = result["unique_visitors"] + unvisited(
        per_customer.filter(o__gt=0), visitors.values("visitor")
    )
    return result


def unvisited(customers: QuerySet, visitor_keys: QuerySet) -> int:
    """How many of ``customers`` (rows with ``consumer_id``) have no visitor key ``u<id>`` among
    ``visitor_keys`` (the funnel's first step counts them as visitors too)."""
    key = Concat(Value("u"), Cast("consumer_id", CharField()), output_field=CharField())
    return (
        customers.order_by()
        .values("consumer_id")
        .distinct()
        .annotate(key=key)
        .exclude(key__in=visitor_keys)
        .count()
    )


def series(scope: Scope, period: DateRange, grain: str = "day") -> list[tuple]:
    """[(period start, counters)] for every day / week / month of the range, zeros included."""
    buckets: dict = {}
    for day in period.each_day():
        buckets.setdefault(bucket(day, grain), zero())
    rows = _stats(scope, period, Dim.ALL).values("day").annotate(**{f"s_{n}": Sum(n) for n in COUNTERS})
    for row in rows:
        target = buckets[bucket(row["day"], grain)]
        for name in COUNTERS:
            target[name] += int(row[f"s_{name}"] or 0)
    return sorted(buckets.items())


def top(scope: Scope, period: DateRange, dim: str, limit: int | None = 10) -> list[dict]:
    """Rows of one dimension (``brand`` = the platform's brands), best paid amount first."""
    group = "brand_id" if dim == "brand" else "key"
    rows = (
        _stats(scope, period, dim)
        .values(group)
        .annotate(**{f"s_{n}": Sum(n) for n in COUNTERS})
        .order_by("-s_paid_amount", group)
    )
    if limit:
        rows = rows[:limit]
    return [{"key": str(row[group]), **{n: int(row[f"s_{n}"] or 0) for n in COUNTERS}} for row in rows]


def customers(scope: Scope, period: DateRange, limit: int | None = 20) -> list[dict]:
    rows = (
        _people(DailyCustomer, scope, period)
        .values("consumer_id")
        .annotate(orders=Sum("orders"), paid_orders=Sum("paid_orders"), paid_amount=Sum("paid_amount"))
        .order_by("-paid_amount", "consumer_id")
    )
    if limit:
        rows = rows[:limit]
    return [
        {
            "consumer_id": row["consumer_id"],
            "orders": int(row["orders"]),
            "paid_orders": int(row["paid_orders"]),
            "paid_amount": int(row["paid_amount"]),
        }
        for row in rows
    ]
