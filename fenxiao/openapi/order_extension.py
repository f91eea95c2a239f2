"""How the open platform takes part in an order's life (``trade.extensions``): the events its
webhooks need that the order lifecycle does not publish itself, written inside the transaction
that changes the state:

- ``stock.low`` when checkout takes a SKU's stock under the threshold;
- ``commission.available`` for each commission made available at settlement (and its twin for
  the settlement batch: the same events, published together).
"""

from __future__ import annotations

from fenxiao.catalog.stock_events import stock_changed
from fenxiao.core.events import publish, publish_select
from fenxiao.core.sql import json_object
from fenxiao.trade.extensions import OrderExtension, SettledBatch


def on_order_placed(order, priced_order) -> None:
    """``stock.low`` for each SKU the order took under its threshold."""
    from fenxiao.catalog.models import Sku

    taken: dict[int, int] = {}
    for line in order.lines.all():
        taken[line.sku_id] = taken.get(line.sku_id, 0) + line.quantity
    for sku in Sku.objects.filter(pk__in=taken):
        stock_changed(
            sku_id=sku.pk,
            product_id=sku.product_id,
            brand_id=sku.brand_id,
            before=sku.stock + taken[sku.pk],
            after=sku.stock,
        )


def after_settlement(order) -> None:
    """``commission.available`` for each commission the order's settlement made available."""
    from fenxiao.distribution.models import Commission, CommissionStatus

    for commission in Commission.objects.filter(order=order, status=CommissionStatus.AVAILABLE).order_by(
        "pk"
    ):
        publish(
            "commission.available",
            {
                "commission_id": commission.pk,
                "order_id": order.pk,
                "order_no": order.order_no,
                "brand_id": order.brand_id,
                "distributor_id": commission.distributor_id,
                "amount": commission.amount - commission.reversed_amount,
            },
            aggregate=f"commission:{commission.pk}",
        )


def after_settlement_batch(batch: SettledBatch) -> None:
    """The same events for the settlement batch's orders, written set-based."""
    from fenxiao.distribution.models import Commission, CommissionStatus
    from fenxiao.trade.models import Order

    payload = json_object(
        commission_id="c.id",
        order_id="c.order_id",
        order_no="o.order_no",
        brand_id="o.brand_id",
        distributor_id="c.distributor_id",
        amount="c.amount - c.reversed_amount",
    )
    publish_select(
        "commission.available",
        f"SELECT c.order_id AS order_id, c.id AS commission_id, 'commission:' || c.id AS aggregate,"
        f" {payload} AS payload FROM {batch.table} ev_b"  # the batch drives the joins (SQLite)
        f" CROSS JOIN {Commission._meta.db_table} c CROSS JOIN {Order._meta.db_table} o"
        " WHERE c.order_id = ev_b.order_id AND o.id = c.order_id AND c.status = %s",
        [CommissionStatus.AVAILABLE],
        order_by="x.order_id, x.commission_id",
    )


class OpenApiExtension(OrderExtension):
    on_placed = staticmethod(on_order_placed)
    on_settled = staticmethod(after_settlement)
    on_settled_batch = staticmethod(after_settlement_batch)
