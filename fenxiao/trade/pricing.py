"""Server-side pricing.  Whatever price a client sends is ignored: every amount comes from here.

Pipeline, in this fixed order (issue 7's marketing plugins hook in through ``ADJUSTERS``):
base price (retail, or the distributor's store price inside the band) → member price →
promotion → coupon → points.  Each adjuster returns per-line discounts in fen; every discount is
attributed to the line that received it, so refunds and commissions can be computed per line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Sku

from .models import ShippingRule


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
    adjustments: dict = field(default_factory=dict)  # what adjusters applied, read by ORDER_PLACED hooks

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


# An adjuster receives the priced orders and the consumer and may add line discounts.
Adjuster = Callable[[list[PricedOrder], object], None]
ADJUSTERS: list[
    tuple[int, str, Adjuster]
] = []  # (position, name, fn): member=10, promotion=20, coupon=30, points=40


def register_adjuster(position: int, name: str, fn: Adjuster) -> None:
    ADJUSTERS.append((position, name, fn))
    ADJUSTERS.sort(key=lambda item: item[0])


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
    outside the SKU's band is clamped into it, so no caller can price outside the brand's rules.
    ``options`` carries the buyer's choices to the adjusters (points to redeem per brand)."""
    unit_prices = unit_prices or {}
    options = options or {}
    by_brand: dict[int, PricedOrder] = {}
    for sku, quantity in items:
        unit = unit_prices.get(sku.pk, sku.retail_price)
        unit = min(max(unit, sku.price_min), sku.price_max)
        order = by_brand.setdefault(
            sku.brand_id, PricedOrder(brand=sku.product.brand, lines=[], options=options)
        )
        order.lines.append(PricedLine(sku=sku, quantity=quantity, unit_price=unit))
    orders = list(by_brand.values())
    for _, _, adjust in ADJUSTERS:
        adjust(orders, consumer)
    rules = {r.brand_id: r for r in ShippingRule.objects.filter(brand_id__in=by_brand)}
    for order in orders:
        rule = rules.get(order.brand.pk)
        fee = rule.fee_for(order.goods - order.discount, province) if rule else 0
        order.shipping = 0 if order.free_shipping else fee
    return PricedCheckout(orders=orders)
