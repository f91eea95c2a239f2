"""The same dashboard numbers as ``selectors.py``, computed directly from the source tables
(orders, lines, refunds, commissions, withdrawals, share links and visits).

Used by the tests (rollups must equal these) and by the benchmark as the baseline; pages never
call it.  Definitions: orders and GMV on the day an order was placed; paid orders, paid amount,
units and paying customers on the day of payment; refunds on the day the refund succeeded;
commission earned on the day the commission was recorded (level 1 and 2, gross of later
reversals); commission paid = withdrawals paid out, on their payout day.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils import timezone

from .models import Dim
from .periods import DateRange, bucket
from .rollups import NO_PROVINCE
from .selectors import Scope, unvisited, zero

ALL_KEY = ""


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def _order_key(dim: str, prefix: str = ""):
    """An expression (or field name) naming the order's row in ``dim``."""
    if dim == Dim.CHANNEL:
        return Case(
            When(**{f"{prefix}distributor__isnull": True}, then=Value("direct")),
            default=Value("distributor"),
            output_field=CharField(),
        )
    if dim == Dim.PROVINCE:
        return F(f"{prefix}address__province")
    if dim == Dim.DISTRIBUTOR:
        return F(f"{prefix}distributor_id")
    if dim == "brand":
        return F(f"{prefix}brand_id")
    return Value(ALL_KEY)


class _Table:
    """dict[(day or None, key)] -> counters."""

    def __init__(self, by_day: bool) -> None:
        self.by_day = by_day
        self.rows: dict = defaultdict(zero)

    def add(self, row: dict, **values) -> None:
        key = row["k"]
        key = NO_PROVINCE if key in (None, "") and row.get("_province") else ("" if key is None else str(key))
        target = self.rows[(row["d"] if self.by_day else None, key)]
        for name, value in values.items():
            target[name] += int(row[value] or 0)


def _group(qs, day_field: str, key, by_day: bool):
    qs = qs.order_by().annotate(k=key, d=_day(day_field) if by_day else Value(None, output_field=CharField()))
    return qs.values("k", "d")


def counters(
    scope: Scope,
    period: DateRange,
    dim: str = Dim.ALL,
    *,
    by_day: bool = False,
    refunds: RefundsByOrder | None = None,
) -> dict:
    """Counters per (day or None, key) of ``dim``.  ``refunds`` (from :func:`refunds_by_order`
    over ``period``) saves re-reading the refunds when one caller asks for many scopes."""
    from fenxiao.distribution.models import Commission, ShareLink, Visit, Withdrawal, WithdrawalStatus
    from fenxiao.trade.models import Order, OrderLine

    lo, hi = period.bounds()
    table = _Table(by_day)
    province = dim == Dim.PROVINCE
    distributor_scope = scope.distributor_id is not None
    orders = Order.objects.order_by()
    if scope.brand_id is not None:
        orders = orders.filter(brand_id=scope.brand_id)
    if distributor_scope:
        orders = orders.filter(distributor_id=scope.distributor_id)
    if dim == Dim.DISTRIBUTOR and not distributor_scope:
        orders = orders.filter(distributor__isnull=False)

    def emit(qs, day_field, key, **values):
        rows = _group(qs, day_field, key, by_day)
        annotations = {alias: agg for alias, (_, agg) in values.items()}
        for row in rows.annotate(**annotations):
            row["_province"] = province
            table.add(row, **{name: alias for alias, (name, _) in values.items()})

    if dim == Dim.PRODUCT:
        lines = OrderLine.objects.filter(order__in=orders)
        emit(
            lines.filter(order__created_at__gte=lo, order__created_at__lt=hi),
            "order__created_at",
            F("product_id_snapshot"),
            o=("orders", Count("order_id", distinct=True)),
            g=("gmv", Sum("paid_amount")),
        )
        emit(
            lines.filter(order__paid_at__gte=lo, order__paid_at__lt=hi),
            "order__paid_at",
            F("product_id_snapshot"),
            o=("paid_orders", Count("order_id", distinct=True)),
            g=("paid_amount", Sum("paid_amount")),
            u=("units", Sum("quantity")),
        )
        return dict(table.rows)
    key = Value(ALL_KEY) if distributor_scope and dim != "brand" else _order_key(dim)
    emit(
        orders.filter(created_at__gte=lo, created_at__lt=hi),
        "created_at",
        key,
        o=("orders", Count("id")),
        g=("gmv", Sum("paid_amount")),
    )
    emit(
        orders.filter(paid_at__gte=lo, paid_at__lt=hi),
        "paid_at",
        key,
        o=("paid_orders", Count("id")),
        g=("paid_amount", Sum("paid_amount")),
    )
    lines = OrderLine.objects.filter(order__in=orders, order__paid_at__gte=lo, order__paid_at__lt=hi)
    line_key = Value(ALL_KEY) if distributor_scope and dim != "brand" else _order_key(dim, "order__")
    emit(lines, "order__paid_at", line_key, u=("units", Sum("quantity")))
    if refunds is None:
        refunds = refunds_by_order(period)
    _refunds(table, orders, refunds, dim, distributor_scope, by_day)
    if dim in (Dim.ALL, Dim.DISTRIBUTOR, "brand"):
        people_key = (
            (lambda prefix: Value(ALL_KEY))
            if dim == Dim.ALL or (distributor_scope and dim != "brand")
            else None
        )

        def scoped(qs, brand_field: str, person_field: str):
            if scope.brand_id is not None:
                qs = qs.filter(**{brand_field: scope.brand_id})
            if distributor_scope:
                qs = qs.filter(**{person_field: scope.distributor_id})
            return qs

        def key_of(brand_field: str, person_field: str):
            if people_key:
                return people_key("")
            return F(brand_field) if dim == "brand" else F(person_field)

        commissions = scoped(Commission.objects.all(), "order__brand_id", "distributor_id")
        emit(
            commissions.filter(created_at__gte=lo, created_at__lt=hi),
            "created_at",
            key_of("order__brand_id", "distributor_id"),
            c=("commission_earned", Sum("amount")),
        )
        paid = scoped(Withdrawal.objects.filter(status=WithdrawalStatus.PAID), "brand_id", "distributor_id")
        emit(
            paid.filter(paid_at__gte=lo, paid_at__lt=hi),
            "paid_at",
            key_of("brand_id", "distributor_id"),
            c=("commission_paid", Sum("amount")),
        )
        visits = scoped(Visit.objects.all(), "link__brand_id", "link__distributor_id")
        emit(
            visits.filter(at__gte=lo, at__lt=hi),
            "at",
            key_of("link__brand_id", "link__distributor_id"),
            v=("visits", Count("id")),
        )
        links = scoped(ShareLink.objects.all(), "brand_id", "distributor_id")
        emit(
            links.filter(created_at__gte=lo, created_at__lt=hi),
            "created_at",
            key_of("brand_id", "distributor_id"),
            s=("shares", Count("id")),
        )
        members = _members()
        if members is not None and not distributor_scope and dim != Dim.DISTRIBUTOR:
            if scope.brand_id is not None:
                members = members.filter(brand_id=scope.brand_id)
            emit(
                members.filter(created_at__gte=lo, created_at__lt=hi),
                "created_at",
                F("brand_id") if dim == "brand" else Value(ALL_KEY),
                m=("new_members", Count("id")),
            )
    return {k: v for k, v in table.rows.items() if any(v.values())}


def _members():
    """The CRM's members, when that app is installed."""
    from django.apps import apps

    try:
        return apps.get_model("crm", "Member").objects.all()
    except LookupError:
        return None


RefundsByOrder = dict[int, list[tuple[int, object]]]
ORDER_ID_CHUNK = 5000  # ids per IN (...) list: well inside SQLite's bound on query parameters


def refunds_by_order(period: DateRange) -> RefundsByOrder:
    """Succeeded checkout refunds finished in ``period``: order id → [(amount, finished_at)]."""
    from fenxiao.payments.models import Refund, RefundStatus

    lo, hi = period.bounds()
    refunds = Refund.objects.filter(
        status=RefundStatus.SUCCEEDED,
        purpose="checkout",
        reference__startswith="order:",
        finished_at__gte=lo,
        finished_at__lt=hi,
    ).values_list("reference", "amount", "finished_at")
    by_order: RefundsByOrder = defaultdict(list)
    for reference, amount, finished_at in refunds:
        by_order[int(reference.split(":")[1])].append((amount, finished_at))
    return by_order


def _refunds(
    table: _Table, orders, by_order: RefundsByOrder, dim: str, distributor_scope: bool, by_day: bool
) -> None:
    if not by_order:
        return
    key = Value(ALL_KEY) if distributor_scope and dim != "brand" else _order_key(dim)
    ids = sorted(by_order)
    for start in range(0, len(ids), ORDER_ID_CHUNK):
        chunk = ids[start : start + ORDER_ID_CHUNK]
        for row in orders.filter(pk__in=chunk).annotate(k=key).values("pk", "k"):
            for amount, finished_at in by_order[row["pk"]]:
                day = timezone.localdate(finished_at) if by_day else None
                table.add(
                    {"k": row["k"], "d": day, "_province": dim == Dim.PROVINCE, "a": amount, "n": 1},
                    refunds="n",
                    refund_amount="a",
                )


def summary(scope: Scope, period: DateRange) -> dict[str, int]:
    from fenxiao.distribution.models import Visit
    from fenxiao.trade.models import Order

    result = counters(scope, period).get((None, ALL_KEY), zero())
    result = dict(result)
    lo, hi = period.bounds()
    visits = Visit.objects.order_by().filter(at__gte=lo, at__lt=hi)
    orders = Order.objects.order_by()
    if scope.brand_id is not None:
        visits = visits.filter(link__brand_id=scope.brand_id)
        orders = orders.filter(brand_id=scope.brand_id)
    if scope.distributor_id is not None:
        visits = visits.filter(link__distributor_id=scope.distributor_id)
        orders = orders.filter(distributor_id=scope.distributor_id)
    visitor = Case(
        When(visitor__isnull=False, then=Concat(Value("u"), Cast("visitor_id", CharField()))),
        When(~Q(session_key=""), then=Concat(Value("s"), "session_key")),
        default=Concat(Value("v"), Cast("id", CharField())),
        output_field=CharField(),
    )
    result["unique_visitors"] = visits.annotate(key=visitor).values("key").distinct().count()
    ordering = orders.filter(created_at__gte=lo, created_at__lt=hi)
    result["ordering_customers"] = ordering.values("consumer_id").distinct().count()
    paying = orders.filter(paid_at__gte=lo, paid_at__lt=hi).values("consumer_id").annotate(n=Count("id"))
    result["paying_customers"] = paying.count()
    result["repeat_customers"] = paying.filter(n__gte=2).count()
    result["ordered_and_paid"] = (
        ordering.filter(consumer_id__in=orders.filter(paid_at__gte=lo, paid_at__lt=hi).values("consumer_id"))
        .values("consumer_id")
        .distinct()
        .count()
    )
    result["funnel_visitors"] = result["unique_visitors"] + unvisited(
        ordering, visits.annotate(key=visitor).values("key")
    )
    return result


def series(scope: Scope, period: DateRange, grain: str = "day") -> list[tuple]:
    buckets: dict = {}
    for day in period.each_day():
        buckets.setdefault(bucket(day, grain), zero())
    for (day, _key), values in counters(scope, period, by_day=True).items():
        target = buckets[bucket(day, grain)]
        for name, value in values.items():
            target[name] += value
    return sorted(buckets.items())


def top(scope: Scope, period: DateRange, dim: str, limit: int | None = 10) -> list[dict]:
    rows = [{"key": key, **values} for (_d, key), values in counters(scope, period, dim).items()]
    rows.sort(key=lambda row: (-row["paid_amount"], row["key"]))
    return rows[:limit] if limit else rows


def customers(scope: Scope, period: DateRange, limit: int | None = 20) -> list[dict]:
    from fenxiao.trade.models import Order

    lo, hi = period.bounds()
    orders = Order.objects.order_by()
    if scope.brand_id is not None:
        orders = orders.filter(brand_id=scope.brand_id)
    if scope.distributor_id is not None:
        orders = orders.filter(distributor_id=scope.distributor_id)
    people: dict[int, dict] = defaultdict(lambda: {"orders": 0, "paid_orders": 0, "paid_amount": 0})
    for row in (
        orders.filter(created_at__gte=lo, created_at__lt=hi).values("consumer_id").annotate(n=Count("id"))
    ):
        people[row["consumer_id"]]["orders"] += row["n"]
    paid = orders.filter(paid_at__gte=lo, paid_at__lt=hi).values("consumer_id")
    for row in paid.annotate(n=Count("id"), a=Sum("paid_amount")):
        people[row["consumer_id"]]["paid_orders"] += row["n"]
        people[row["consumer_id"]]["paid_amount"] += row["a"]
    rows = [{"consumer_id": cid, **values} for cid, values in people.items()]
    rows.sort(key=lambda row: (-row["paid_amount"], row["consumer_id"]))
    return rows[:limit] if limit else rows
