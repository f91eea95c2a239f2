"""Trade reads: a consumer sees only its own orders and addresses; a brand only its own orders; a
distributor only the orders attributed to it."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Order, OrderLine


def _with_lines(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("brand").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def consumer_orders(consumer) -> QuerySet[Order]:
    return _with_lines(Order.objects.filter(consumer=consumer)).order_by("-id")


def consumer_order(consumer, order_id: int) -> Order | None:
    return (
        _with_lines(Order.objects.filter(consumer=consumer, pk=order_id))
        .prefetch_related("shipments", "transitions")
        .first()
    )


def brand_orders(
    brand_id: int,
    *,
    q: str = "",
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    orders = Order.objects.filter(brand_id=brand_id)
    if q:
        orders = orders.filter(Q(order_no=q) | Q(address__phone=q) | Q(consumer__phone=q))
    if status:
        orders = orders.filter(status=status)
    tz = timezone.get_current_timezone()
    if date_from:
        orders = orders.filter(created_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        orders = orders.filter(created_at__lte=datetime.combine(date_to, time.max, tz))
    return _with_lines(orders.select_related("consumer")).order_by("-id")


def brand_order(brand_id: int, order_id: int) -> Order | None:
    return (
        _with_lines(Order.objects.filter(brand_id=brand_id, pk=order_id))
        .prefetch_related("shipments", "transitions")
        .first()
    )


def distributor_orders(distributor, *, limit: int = 100) -> QuerySet[Order]:
    """Orders attributed to the distributor (with their commissions), newest first."""
    return (
        Order.objects.filter(distributor=distributor)
        .select_related("brand", "consumer")
        .prefetch_related("commissions")
        .order_by("-id")[:limit]
    )


def _with_lines_and_shipments(brand_id: int) -> QuerySet[Order]:
    return Order.objects.filter(brand_id=brand_id).prefetch_related("lines", "shipments")


def brand_order_feed(
    brand_id: int,
    *,
    status: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    updated_since: datetime | None = None,
    before: tuple[datetime, int] | None = None,
) -> QuerySet[Order]:
    """The brand's orders (with lines and shipments) newest first, ordered by (created_at, id)
    so that ``before`` (the created_at and id of the last order seen) pages stably.
    ``updated_since`` keeps the orders that were created or changed status at or after it."""
    orders = _with_lines_and_shipments(brand_id)
    if status:
        orders = orders.filter(status=status)
    if created_from:
        orders = orders.filter(created_at__gte=created_from)
    if created_to:
        orders = orders.filter(created_at__lt=created_to)
    if updated_since:
        orders = orders.filter(
            Q(created_at__gte=updated_since)
            | Q(paid_at__gte=updated_since)
            | Q(shipped_at__gte=updated_since)
            | Q(completed_at__gte=updated_since)
            | Q(cancelled_at__gte=updated_since)
        )
    if before:
        created, last_id = before
        orders = orders.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    return orders.order_by("-created_at", "-id")


def brand_order_by_no(brand_id: int, order_no: str) -> Order | None:
    """One of the brand's orders by its number (with lines and shipments), or None."""
    return _with_lines_and_shipments(brand_id).filter(order_no=order_no).first()
