"""Trade timers, run by the worker once per period across all workers."""

from __future__ import annotations

import logging
from datetime import timedelta

from fenxiao.core import clock
from fenxiao.core.jobs import periodic

from . import conf
from .errors import TradeError
from .fulfilment import auto_confirm, settle
from .models import Order, OrderStatus
from .orders import cancel_order

log = logging.getLogger("fenxiao.trade")
BATCH = 500


@periodic("trade.close_unpaid_orders", every=timedelta(seconds=30))
def close_unpaid_orders() -> None:
    due = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, created_at__lt=clock.now() - conf.unpaid_timeout()
    )
    for order_id in due.values_list("id", flat=True)[:BATCH]:
        try:
            cancel_order(order_id, actor_label="system", reason="not paid in time")
        except TradeError:
            continue  # paid or cancelled meanwhile


@periodic("trade.auto_confirm_orders", every=timedelta(seconds=60))
def auto_confirm_orders() -> None:
    due = Order.objects.filter(
        status=OrderStatus.SHIPPED, shipped_at__lt=clock.now() - conf.auto_confirm_after()
    )
    for order_id in due.values_list("id", flat=True)[:BATCH]:
        try:
            auto_confirm(order_id)
        except TradeError:
            continue


@periodic("trade.settle_orders", every=timedelta(seconds=60))
def settle_orders() -> None:
    due = Order.objects.filter(
        status=OrderStatus.COMPLETED, settled_at=None, completed_at__lte=clock.now() - conf.settlement_delay()
    )
    for order_id in due.values_list("id", flat=True)[:BATCH]:
        settle(order_id)
