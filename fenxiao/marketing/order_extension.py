"""How the marketing app takes part in an order's life (``trade.extensions``): each installed
tool (``plugins``) is a step of the pricing pipeline, reserves what the price relied on when the
order is placed, and gives it back when the order is cancelled; a group buy holds its orders back
from shipping until the group is complete."""

from __future__ import annotations

from fenxiao.trade.extensions import OrderExtension, PriceAdjuster, first_reasons
from fenxiao.trade.pricing import LINE_PARTS, PricedOrder

from . import plugins


class MarketingExtension(OrderExtension):
    def price_adjusters(self) -> list[PriceAdjuster]:
        return [plugins.adjuster(tool) for tool in plugins.tools()]

    def on_placed(self, order, priced_order: PricedOrder) -> None:
        """One :class:`LineDiscount` row per (line, pricing step), then each tool reserves."""
        from .models import LineDiscount

        # the lines trade just wrote (handed over as the prefetched ``order.lines``: no query)
        lines = sorted(order.lines.all(), key=lambda line: line.pk)
        rows = []
        for name, parts in priced_order.adjustments.get(LINE_PARTS, {}).items():
            tool = plugins.TOOLS.get(name)
            reference = getattr(tool, "reference_for", lambda _o: "")(priced_order) if tool else ""
            rows += [
                LineDiscount(order=order, line=lines[index], tool=name, reference=reference, amount=fen)
                for index, fen in parts.items()
                if fen
            ]
        LineDiscount.objects.bulk_create(rows)
        for tool in plugins.placing_order():  # a hot row (a flash sale's tally) last
            tool.on_placed(order, priced_order)

    def on_paid(self, order) -> None:
        for tool in plugins.tools():
            tool.on_paid(order)

    def on_cancelled(self, order) -> None:
        for tool in plugins.tools():
            tool.on_cancelled(order)

    def on_refunded(self, order, amount: int) -> None:
        for tool in plugins.tools():
            tool.on_refunded(order, amount)

    def ship_blockers(self, orders: list) -> dict[int, str]:
        return first_reasons([tool.ship_blockers for tool in plugins.tools()], orders)
