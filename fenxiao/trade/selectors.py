"""Trade reads: a consumer sees only its own orders and addresses; a brand only its own orders; a
distributor only the orders attributed to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Sku

from .cart import cart_items
from .checkout import price_for
from .models import Address, CartItem, Order, OrderLine
from .pricing import PricedCheckout


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


def consumer_addresses(consumer) -> QuerySet[Address]:
    return Address.objects.filter(consumer=consumer)


def consumer_address(consumer, address_id: int) -> Address | None:
    return consumer_addresses(consumer).filter(pk=address_id).first()


def consumer_has_order(consumer, order_id: int) -> bool:
    return Order.objects.filter(pk=order_id, consumer=consumer).exists()


@dataclass
class PricedCart:
    groups: dict[Brand, list[CartItem]]  # each item with ``unit_price``: what checkout will charge
    total: int


def priced_cart(consumer) -> PricedCart:
    """The consumer's cart by brand, each item at the unit price checkout will charge (a
    distributor's store price where one applies), and the goods' total."""
    items = list(cart_items(consumer))
    groups: dict[Brand, list[CartItem]] = {}
    for item in items:
        groups.setdefault(item.sku.product.brand, []).append(item)
    priced = (
        price_for(consumer=consumer, items=[(i.sku, i.quantity) for i in items], province="")[0]
        if items
        else None
    )
    unit_prices = {
        line.sku.pk: line.unit_price for order in (priced.orders if priced else []) for line in order.lines
    }
    for item in items:
        item.unit_price = unit_prices.get(item.sku_id, item.sku.retail_price)
    return PricedCart(groups=groups, total=sum(item.unit_price * item.quantity for item in items))


def checkout_preview(
    consumer,
    *,
    addresses: list[Address],
    options: dict,
    items: Sequence[tuple[Sku, int]] | None = None,
) -> PricedCheckout | None:
    """``items`` (by default the consumer's cart) priced exactly as placing the order would
    (shipping to the first address's province), with the buyer's ``options`` (points, coupons,
    a marketing tool); None when there is nothing to price."""
    if items is None:
        items = [(i.sku, i.quantity) for i in cart_items(consumer)]
    if not items:
        return None
    province = addresses[0].province if addresses else ""
    return price_for(consumer=consumer, items=items, province=province, options=options)[0]
