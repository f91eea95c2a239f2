"""How the CRM takes part in an order's life (``trade.extensions``): the member price and points
steps of the pricing pipeline, the member of every order (created when the order is placed, or
when a consumer becomes attributable to a distributor), its spending, points spent at checkout,
earned on receipt, restored on cancellation and reversed on refunds."""

from __future__ import annotations

from fenxiao.trade.extensions import OrderExtension, PriceAdjuster

from . import members, points
from .models import Channel


class CrmExtension(OrderExtension):
    def price_adjusters(self) -> list[PriceAdjuster]:
        return [
            PriceAdjuster(10, "member_price", points.member_price_adjuster, per_unit=True),
            PriceAdjuster(40, "points", points.points_adjuster),
        ]

    def on_attributed(self, *, brand_id: int, consumer, distributor_id: int) -> None:
        members.ensure_member(
            brand_id=brand_id, consumer=consumer, channel=Channel.LINK, distributor_id=distributor_id
        )

    def on_placed(self, order, priced_order) -> None:
        members.on_order_created(order, priced_order)
        points.on_order_placed(order, priced_order)

    on_paid = staticmethod(members.on_order_paid)
    on_received = staticmethod(points.earn_for_completed)
    on_cancelled = staticmethod(points.restore_for_cancelled)

    def on_refunded(self, order, amount: int) -> None:
        members.on_refunded(order, amount)
        points.reverse_for_refund(order, amount, f"refund:{order.refunded_amount}+{amount}")
