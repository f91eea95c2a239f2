"""Server-side pricing.  Whatever price a client sends is ignored: every amount comes from here.

Pipeline, in this fixed order: base price (retail, or the distributor's store price clamped
into the band by ``catalog.price_band``) → the registered price adjusters by position
(``extensions.price_adjusters``: member price 10, promotions 20–22, coupons 30, points 40).
Each adjuster adds per-line discounts in fen; every discount is attributed to the line that
received it, and pricing records each adjuster's per-line parts in
``PricedOrder.adjustments["lines"][name]``, so refunds and commissions can be computed per line
and the marketing app can keep one row per (line, adjuster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fenxiao.accounts.models import Brand
from fenxiao.catalog import price_band
from fenxiao.catalog.models import Sku

from . import extensions
from .models import ShippingRule

#: ``PricedOrder.adjustments[LINE_PARTS][adjuster name] = {line index: fen}``
LINE_PARTS = "lines"


@dataclass
class PricedLine:
    sku: Sku
    quantity: int
    unit_price: int
    discount: int = 0

    @property
    def gross(self) -> int:
        return self.unit_price * self.quantity

    @property
    def paid(self) -> int:
        return self.gross - self.discount


@dataclass
class PricedOrder:
    brand: Brand
    lines: list[PricedLine]
    shipping: int = 0
    free_shipping: bool = False  # set by an adjuster (a member level's benefit)
    options: Mapping = field(default_factory=dict)  # the buyer's choices, e.g. {"points": {brand_id: n}}
    adjustments: dict = field(default_factory=dict)  # what adjusters applied, read by on_placed

    @property
    def goods(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        return self.goods - self.discount + self.shipping


@dataclass
class PricedCheckout:
    orders: list[PricedOrder] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(order.total for order in self.orders)


def pipeline() -> list[tuple[int, str]]:
    """The pricing pipeline as it runs: (position, name), lowest first."""
    return [(a.position, a.name) for a in extensions.price_adjusters()]


def _adjust_recording(adjuster: extensions.PriceAdjuster, orders: list[PricedOrder], consumer) -> None:
    """Run one adjuster and record the per-line parts it took off."""
    before = [[line.discount for line in order.lines] for order in orders]
    adjuster.adjust(orders, consumer)
    for order, previous in zip(orders, before, strict=True):
        parts = {
            i: line.discount - was
            for i, (line, was) in enumerate(zip(order.lines, previous, strict=True))
            if line.discount > was
        }
        if parts:
            recorded = order.adjustments.setdefault(LINE_PARTS, {}).setdefault(adjuster.name, {})
            for index, fen in parts.items():
                recorded[index] = recorded.get(index, 0) + fen


def price(
    items: Sequence[tuple[Sku, int]],
    *,
    consumer,
    province: str = "",
    unit_prices: Mapping[int, int] | None = None,
    options: Mapping | None = None,
) -> PricedCheckout:
    """Price ``items`` (SKUs with their product and brand loaded) grouped into one order per brand.

    ``unit_prices`` may override the retail price per SKU (a distributor's store price); anything
    outside the SKU's band is clamped into it (``price_band.clamp``), so no caller can price
    outside the brand's rules.
    ``options`` carries the buyer's choices to the adjusters (points to redeem per brand)."""
    unit_prices = unit_prices or {}
    options = options or {}
    by_brand: dict[int, PricedOrder] = {}
    for sku, quantity in items:
        unit = price_band.clamp(unit_prices.get(sku.pk, sku.retail_price), sku)
        order = by_brand.setdefault(
            sku.brand_id, PricedOrder(brand=sku.product.brand, lines=[], options=options)
        )
        order.lines.append(PricedLine(sku=sku, quantity=quantity, unit_price=unit))
    orders = list(by_brand.values())
    for adjuster in extensions.price_adjusters():
        _adjust_recording(adjuster, orders, consumer)
    rules = {r.brand_id: r for r in ShippingRule.objects.filter(brand_id__in=by_brand)}
    for order in orders:
        rule = rules.get(order.brand.pk)
        fee = rule.fee_for(order.goods - order.discount, province) if rule else 0
        order.shipping = 0 if order.free_shipping else fee
    return PricedCheckout(orders=orders)


def unit_prices(skus: Sequence[Sku], *, consumer, store_prices: Mapping[int, int]) -> dict[int, int]:
    """{sku id: fen} one unit of each SKU costs ``consumer`` before the order-wide offers: the
    store price (else retail) clamped into the band, less the per-unit steps of the pipeline
    (``PriceAdjuster.per_unit``: the member price).  What checkout charges for one unit bought
    alone, without coupons, points, promotions or a flash/group deal the buyer asks for.
    The SKUs need their product and brand loaded."""
    orders = [
        PricedOrder(
            brand=sku.product.brand,
            lines=[
                PricedLine(
                    sku=sku,
                    quantity=1,
                    unit_price=price_band.clamp(store_prices.get(sku.pk, sku.retail_price), sku),
                )
            ],
        )
        for sku in skus
    ]
    if orders and consumer is not None and getattr(consumer, "is_authenticated", False):
        for adjuster in extensions.price_adjusters():
            if adjuster.per_unit:
                adjuster.adjust(orders, consumer)
    return {order.lines[0].sku.pk: order.lines[0].paid for order in orders}
