"""The order state machine.  Every transition goes through :func:`transition`, which checks it is
allowed, records who and when, and publishes the matching outbox event in the same transaction.

A paid order becomes *cancelled* only one way: it was refunded in full before anything of it
shipped (a failed group buy, an after-sales refund of everything) — see
:func:`close_if_refunded_in_full`, called by the refund path.  Its ``paid_at`` stays set, so the
data cube still counts it as paid once and its refund as a refund.  A paid order that shipped part
of its units and is then refunded in full becomes *shipped* instead: the rest will not ship."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fenxiao.catalog.models import Product, Sku
from fenxiao.core import clock
from fenxiao.core.events import publish

from . import extensions
from .errors import TradeError
from .models import Order, OrderStatus, OrderTransition

S = OrderStatus
ALLOWED = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.SHIPPED, S.CANCELLED},  # cancelled: refunded in full before anything shipped
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

#: the reason recorded when a paid order is cancelled by its full refund
REFUNDED_IN_FULL = gettext_noop("refunded in full before shipping")
#: the reason recorded when a partly shipped order is refunded in full: the rest will not ship
REST_NOT_SHIPPED = gettext_noop("refunded in full: the rest will not ship")
#: reasons the system records on transitions (English in the database, translated when shown)
SYSTEM_REASONS = (
    REFUNDED_IN_FULL,
    REST_NOT_SHIPPED,
    gettext_noop("not paid in time"),
    gettext_noop("group failed"),
    gettext_noop("flash sale: not paid in time"),
    gettext_noop("confirmed automatically"),
    gettext_noop("receipt confirmed"),
    gettext_noop("order was cancelled before the payment arrived"),
)


def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def transition(order: Order, to: str, *, actor=None, actor_label: str, reason: str = "") -> Order:
    """Move a (locked) order to ``to``; a clear TradeError and no change when not allowed."""
    if to not in ALLOWED[order.status]:
        raise TradeError(
            _("Order %(no)s is %(status)s; it cannot become %(to)s.")
            % {"no": order.order_no, "status": order.get_status_display(), "to": S(to).label}
        )
    if order.status == S.PAID and to == S.CANCELLED and not refunded_in_full_unshipped(order):
        raise TradeError(_paid_not_cancellable(order))
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


def _paid_not_cancellable(order: Order) -> str:
    return _("Order %(no)s is paid: it is cancelled only by refunding it in full before anything ships.") % {
        "no": order.order_no
    }


def refunded_in_full(order: Order) -> bool:
    """Everything paid came back."""
    return order.paid_amount > 0 and order.refunded_amount >= order.paid_amount


def _anything_shipped(order: Order) -> bool:
    return order.lines.filter(shipped_quantity__gt=0).exists()


def refunded_in_full_unshipped(order: Order) -> bool:
    """Everything paid came back and no unit of the order has shipped."""
    return refunded_in_full(order) and not _anything_shipped(order)


def release_stock(order: Order, *, held: dict[int, int] | None = None) -> None:
    """Give the order's unshipped units back to stock, except ``held`` ({line id: units} already
    given back, e.g. by an after-sales refund before shipping)."""
    held = held or {}
    for line in order.lines.all():
        units = line.quantity - line.shipped_quantity - held.get(line.pk, 0)
        if units <= 0:
            continue
        Sku.objects.filter(pk=line.sku_id).update(stock=F("stock") + units)
        Product.objects.filter(pk=line.product_id_snapshot).update(total_stock=F("total_stock") + units)


@transaction.atomic
def cancel_order(order_id: int, *, actor=None, actor_label: str = "consumer", reason: str = "") -> Order:
    """Cancel an unpaid order (consumer, staff, timers).  A paid order is refunded instead."""
    order = lock_order(order_id)
    if order.status == S.PAID:
        raise TradeError(_paid_not_cancellable(order))
    transition(order, S.CANCELLED, actor=actor, actor_label=actor_label, reason=reason)
    release_stock(order)
    extensions.cancelled(order)
    _close_payment_if_nothing_left(order)
    return order


def close_if_refunded_in_full(order_id: int) -> bool:
    """In the refund's transaction: a paid order refunded in full before anything of it shipped
    becomes cancelled (by "system"), its units not yet given back return to stock — once: units
    an after-sales refund already restocked (``units_not_to_ship``) are left out, and after-sales
    gives back nothing of a cancelled order — and the extensions' ``on_cancelled`` run (coupon and
    redeemed points given back, group seat freed).  True when it cancelled the order.

    A paid order that shipped part of its units and is then refunded in full has nothing more to
    ship: it becomes *shipped* (the consumer has what did ship; receipt and settlement follow as
    for any shipped order, with nothing left to settle) and its unshipped units return to stock,
    so they can no longer be shipped."""
    order = lock_order(order_id)
    if order.status != S.PAID or not refunded_in_full(order):
        return False
    held = extensions.units_held(order)
    if _anything_shipped(order):
        transition(order, S.SHIPPED, actor_label="system", reason=REST_NOT_SHIPPED)
        release_stock(order, held=held)
        return False
    transition(order, S.CANCELLED, actor_label="system", reason=REFUNDED_IN_FULL)
    release_stock(order, held=held)
    extensions.cancelled(order)
    return True


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
