from __future__ import annotations

from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Order


def place(address, items, **options) -> Order:
    """Place one order for ``items`` ((sku, quantity) pairs) with pricing ``options``."""
    checkout = place_order(
        consumer=address.consumer,
        address_id=address.pk,
        items=[(sku.pk, quantity) for sku, quantity in items],
        options=options or None,
    )
    return checkout.orders.get()
