"""The order state machine.  Every transition goes through :func:`transition`, which checks it is
allowed, records who and when, and publishes the matching outbox event in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.catalog.models import Product, Sku
from fenxiao.core import clock
from fenxiao.core.events import publish

from . import hooks
from .errors import TradeError
from .models import Order, OrderStatus, OrderTransition

S = OrderStatus
ALLOWED = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.SHIPPED},
    S.SHIPPED: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}
EVENTS = {
    S.PAID: "order.paid",
    S.SHIPPED: "order.shipped",
    S.COMPLETED: "order.completed",
    S.CANCELLED: "order.cancelled",
}
TIMESTAMPS = {
    S.PAID: "paid_at",
    S.SHIPPED: "shipped_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
}


def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def transition(order: Order, to: str, *, actor=None, actor_label: str, reason: str = "") -> Order:
    """Move a (locked) order to ``to``; a clear TradeError and no change when not allowed."""
    if to not in ALLOWED[order.status]:
        raise TradeError(
            _("Order %(no)s is %(status)s; it cannot become %(to)s.")
            % {"no": order.order_no, "status": order.get_status_display(), "to": S(to).label}
        )
    now = clock.now()
    OrderTransition.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        actor=actor,
        actor_label=actor_label,
        reason=reason[:200],
        at=now,
    )
    order.status = to
    setattr(order, TIMESTAMPS[to], now)
    order.save(update_fields=["status", TIMESTAMPS[to]])
    publish(
        EVENTS[to],
        {"order_id": order.pk, "order_no": order.order_no, "brand_id": order.brand_id},
        aggregate=order.reference,
    )
    return order


def release_stock(order: Order) -> None:
    for line in order.lines.all():
        Sku.objects.filter(pk=line.sku_id).update(stock=F("stock") + line.quantity)
        Product.objects.filter(pk=line.product_id_snapshot).update(
            total_stock=F("total_stock") + line.quantity
        )


@transaction.atomic
def cancel_order(order_id: int, *, actor=None, actor_label: str = "consumer", reason: str = "") -> Order:
    order = lock_order(order_id)
    transition(order, S.CANCELLED, actor=actor, actor_label=actor_label, reason=reason)
    release_stock(order)
    for hook in hooks.CANCELLED:
        hook(order)
    _close_payment_if_nothing_left(order)
    return order


def _close_payment_if_nothing_left(order: Order) -> None:
    from fenxiao.payments.models import PaymentStatus
    from fenxiao.payments.services import close_payment

    payment = order.checkout.payment
    if (
        payment
        and payment.status == PaymentStatus.PENDING
        and not order.checkout.orders.exclude(status=S.CANCELLED).exists()
    ):
        close_payment(payment)
