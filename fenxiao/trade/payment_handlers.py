"""How the trade app hears how its payments end (registered in ``TradeConfig.ready``)."""

from __future__ import annotations

from fenxiao.ledger import services as ledger
from fenxiao.payments.models import Payment, Refund
from fenxiao.payments.profit_sharing import is_partner
from fenxiao.payments.purposes import PaymentPurpose

from . import extensions, partner_flow
from .checkout import PAYMENT_PURPOSE
from .models import Checkout, OrderStatus
from .orders import lock_order, transition
from .refunds import on_refund_succeeded, refund_order


class CheckoutPayments(PaymentPurpose):
    purpose = PAYMENT_PURPOSE

    def on_succeeded(self, payment: Payment) -> None:
        """Called once, inside the payment's transaction: record the money and mark the orders
        paid; an order cancelled meanwhile gets its share refunded automatically."""
        if is_partner(payment):  # each brand's part landed at its sub-merchant
            partner_flow.record_paid(payment)
        else:
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
                extensions.paid(order)
            elif order.status == OrderStatus.CANCELLED:
                refund_order(
                    order_id=order.pk,
                    amount=order.paid_amount,
                    reason="order was cancelled before the payment arrived",
                    reference="late-payment",
                )

    def on_refund_succeeded(self, refund: Refund) -> None:
        on_refund_succeeded(refund)
