"""How the distribution app takes part in an order's life (``trade.extensions``): attribution and
store prices (``binding``), commissions from payment to settlement and refunds (``commission``),
distributor levels at settlement and after refunds (``levels``)."""

from __future__ import annotations

from fenxiao.trade.extensions import OrderExtension

from . import binding, commission, levels


class DistributionExtension(OrderExtension):
    attribute = staticmethod(binding.attribution_for_order)
    visitor_unit_prices = staticmethod(binding.visitor_store_prices)
    on_paid = staticmethod(commission.record_commissions)
    settlement_delay = staticmethod(commission.freeze_delay)
    settlement_delay_sql = staticmethod(commission.freeze_delay_sql)
    settlement_commissions = staticmethod(commission.available_at_settlement)
    settlement_commissions_sql = staticmethod(commission.available_at_settlement_sql)
    on_settled = staticmethod(commission.make_available)
    on_settled_batch = staticmethod(commission.make_available_batch)
    refund_before_settlement = staticmethod(commission.reverse_pending)
    clawback = staticmethod(commission.claw_back)

    def on_refunded(self, order, amount: int) -> None:
        """A refund after settlement takes its goods out of the distributor's settled sales."""
        if order.settled_at is not None:
            levels.remove_refunded_sales(order, amount)
