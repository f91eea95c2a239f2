"""How the trade app reacts to its payments (registered in ``TradeConfig.ready``)."""

from __future__ import annotations

from fenxiao.ledger import services as ledger
from fenxiao.payments.hooks import register_payment_handler
from fenxiao.payments.models import Payment

from . import hooks
from .checkout import PAYMENT_PURPOSE
from .models import Checkout, OrderStatus
from .orders import lock_order, transition
from .refunds import on_refund_succeeded, refund_order


def on_payment_succeeded(payment: Payment) -> None:
    """Called once, inside the payment's transaction: record the money and mark the orders paid;
    an order cancelled meanwhile gets its share refunded automatically."""
    ledger.record_payment_received(
        payment_reference=payment.out_trade_no,
        amount=payment.amount,
        idempotency_key=f"payment:{payment.out_trade_no}",
    )
    checkout = Checkout.objects.get(payment=payment)
    for order_id in checkout.orders.order_by("id").values_list("id", flat=True):
        order = lock_order(order_id)
        if order.status == OrderStatus.PENDING_PAYMENT:
            transition(
                order,
                OrderStatus.PAID,
                actor=payment.payer,
                actor_label="payment",
                reason=payment.out_trade_no,
            )
            for hook in hooks.ORDER_PAID:
                hook(order)
        elif order.status == OrderStatus.CANCELLED:
            refund_order(
                order_id=order.pk,
                amount=order.paid_amount,
                reason="order was cancelled before the payment arrived",
                reference="late-payment",
            )


def register() -> None:
    register_payment_handler(
        PAYMENT_PURPOSE, on_succeeded=on_payment_succeeded, on_refund_succeeded=on_refund_succeeded
    )
