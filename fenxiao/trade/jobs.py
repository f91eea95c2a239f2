"""Trade timers, run by the worker once per period across all workers."""

from __future__ import annotations

import logging
from datetime import timedelta

from fenxiao.core import clock
from fenxiao.core.jobs import enqueue, job, periodic

from . import conf
from .errors import TradeError
from .fulfilment import auto_confirm
from .models import Order, OrderStatus
from .orders import cancel_order
from .settlement import settle_all_due

log = logging.getLogger("fenxiao.trade")
BATCH = 500
SETTLE_JOB = "trade.settle_due_orders"


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
    """Hand due settlements to a job: timers run inside one transaction, and each settlement
    batch must commit on its own (its locks on the platform accounts end with it)."""
    due = Order.objects.filter(
        status=OrderStatus.COMPLETED, settled_at=None, completed_at__lte=clock.now() - conf.settlement_delay()
    )
    if due.exists():
        enqueue(SETTLE_JOB, unique_key=SETTLE_JOB)


@job(SETTLE_JOB, max_attempts=3, atomic=False)
def settle_due_orders(payload: dict) -> None:
    """Batches of ``conf.settlement_batch_size()`` until nothing is due, for at most
    ``conf.settlement_run_seconds()`` (the next timer tick continues); safe beside other workers
    (``trade.settlement``)."""
    settled = settle_all_due(batch_size=conf.settlement_batch_size(), seconds=conf.settlement_run_seconds())
    if settled:
        log.info("settled %d orders", settled)
