"""How after-sales takes part in an order's life (``trade.extensions``): a paid order with an open
after-sales request does not ship until the brand answers it; units refunded (and restocked)
before they shipped are left out of shipping."""

from __future__ import annotations

from fenxiao.trade.extensions import OrderExtension

from .stock import open_request_blockers, units_not_to_ship


class AftersalesExtension(OrderExtension):
    ship_blockers = staticmethod(open_request_blockers)
    units_not_to_ship = staticmethod(units_not_to_ship)
