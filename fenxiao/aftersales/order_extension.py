"""How after-sales takes part in an order's life (``trade.extensions``): units refunded (and
restocked) before they shipped are left out of shipping."""

from __future__ import annotations

from fenxiao.trade.extensions import OrderExtension

from .stock import units_not_to_ship


class AftersalesExtension(OrderExtension):
    units_not_to_ship = staticmethod(units_not_to_ship)
