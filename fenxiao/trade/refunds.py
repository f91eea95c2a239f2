"""Refunding an order through the payment gateway, with the ledger following the money.

After-sales calls :func:`refund_order`; the checkout's payment handler calls it for a payment that
arrived after its order was cancelled.  Who gives back how much is ``refund_split``'s rule; the
extensions reverse their own parts (``refund_before_settlement`` / ``clawback``), then hear of the
refund (``on_refunded``), and the ``order.refunded`` event is published, all in the refund's
transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core.events import publish
from fenxiao.ledger import services as ledger
from fenxiao.payments.models import PaymentStatus, Refund, RefundStatus
from fenxiao.payments.services import refund_payment

from . import extensions, partner_flow, refund_split
from .errors import TradeError
from .models import Order, OrderStatus
from .orders import close_if_refunded_in_full

REFUNDABLE = {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}


def _in_flight(order: Order) -> int:
    return sum(
        r.amount
        for r in Refund.objects.filter(
            purpose="checkout", reference__startswith=f"order:{order.pk}:", status=RefundStatus.PENDING
        )
    )


@transaction.atomic
def refund_order(*, order_id: int, amount: int, reason: str, reference: str) -> Refund:
    """Refund ``amount`` fen of an order.  ``reference`` makes the call idempotent."""
    order = Order.objects.select_for_update(of=("self",)).select_related("checkout__payment").get(pk=order_id)
    payment = order.checkout.payment
    if order.status not in REFUNDABLE or payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise TradeError(_("Order %(no)s has not been paid.") % {"no": order.order_no})
    left = order.paid_amount - order.refunded_amount - _in_flight(order)
    if amount <= 0 or amount > left:
        raise TradeError(
            _("A refund of ¥%(amount)s is more than the ¥%(left)s that can still be refunded for this order.")
            % {"amount": f"{amount / 100:.2f}", "left": f"{left / 100:.2f}"}
        )
    if partner_flow.is_partner_order(order) and order.settled_at is not None:
        partner_flow.return_before_refund(order, amount=amount, reference=reference)
    return refund_payment(
        payment=order.checkout.payment,
        amount=amount,
        reason=reason,
        purpose="checkout",
        reference=f"order:{order.pk}:{reference}",
        brand_id=order.brand_id,
    )


def on_refund_succeeded(refund: Refund) -> None:
    """The gateway returned the money: record it on the order and in the ledger; a paid order
    refunded in full before anything shipped then becomes cancelled (stock back, the extensions'
    ``on_cancelled``), so it can no longer ship."""
    order_id = int(refund.reference.split(":")[1])
    _record_refund(order_id, refund)
    close_if_refunded_in_full(order_id)


def _record_refund(order_id: int, refund: Refund) -> None:
    order = Order.objects.select_for_update().get(pk=order_id)
    if partner_flow.is_partner_order(order):  # service-provider mode
        fee_part = partner_flow.record_refund(order, refund)
        Order.objects.filter(pk=order.pk).update(
            refunded_amount=F("refunded_amount") + refund.amount, refunded_fee=F("refunded_fee") + fee_part
        )
        _refunded(order, refund.amount)
        return
    if order.settled_at is None:
        extensions.refund_before_settlement(order, refund.amount)
        ledger.record_refund(
            refund_reference=refund.out_refund_no,
            brand=order.brand_id,
            amount=refund.amount,
            settled=False,
            idempotency_key=f"refund:{refund.pk}",
        )
        Order.objects.filter(pk=order.pk).update(refunded_amount=F("refunded_amount") + refund.amount)
        _refunded(order, refund.amount)
        return
    split = refund_split.split_after_settlement(
        amount=refund.amount,
        kept=order.paid_amount - order.refunded_amount,
        fee_left=order.settled_fee - order.refunded_fee,
        commissions_left=extensions.settlement_commissions(order),
    )
    extensions.clawback(order, dict(split.commission_parts))
    fee_part = split.fee_part
    ledger.record_refund(
        refund_reference=refund.out_refund_no,
        brand=order.brand_id,
        amount=refund.amount,
        settled=True,
        fee_part=fee_part,
        commission_parts=split.commission_parts,
        idempotency_key=f"refund:{refund.pk}",
    )
    Order.objects.filter(pk=order.pk).update(
        refunded_amount=F("refunded_amount") + refund.amount, refunded_fee=F("refunded_fee") + fee_part
    )
    _refunded(order, refund.amount)


def _refunded(order: Order, amount: int) -> None:
    extensions.refunded(order, amount)
    publish("order.refunded", {"order_id": order.pk, "brand_id": order.brand_id}, aggregate=order.reference)
