"""Refunding an order through the payment gateway, with the ledger following the money.

After-sales (issue 5) calls :func:`refund_order`; the payment hooks call it for a payment that
arrived after its order was cancelled."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.ledger import services as ledger
from fenxiao.payments.models import PaymentStatus, Refund, RefundStatus
from fenxiao.payments.services import refund_payment

from . import hooks
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
    return refund_payment(
        payment=order.checkout.payment,
        amount=amount,
        reason=reason,
        purpose="checkout",
        reference=f"order:{order.pk}:{reference}",
    )


def on_refund_succeeded(refund: Refund) -> None:
    """The gateway returned the money: record it on the order and in the ledger; a paid order
    refunded in full before anything shipped then becomes cancelled (stock back, ``CANCELLED``
    hooks), so it can no longer ship."""
    order_id = int(refund.reference.split(":")[1])
    _record_refund(order_id, refund)
    close_if_refunded_in_full(order_id)


def _record_refund(order_id: int, refund: Refund) -> None:
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.settled_at is None:
        for hook in hooks.REFUND_BEFORE_SETTLEMENT:
            hook(order, refund.amount)
        ledger.record_refund(
            refund_reference=refund.out_refund_no,
            brand=order.brand_id,
            amount=refund.amount,
            settled=False,
            idempotency_key=f"refund:{refund.pk}",
        )
        Order.objects.filter(pk=order.pk).update(refunded_amount=F("refunded_amount") + refund.amount)
        for hook in hooks.REFUNDED:
            hook(order, refund.amount)
        return
    # Spread over what each party still holds of the settlement: the fee and the commissions not
    # yet refunded or clawed back, and the brand the rest of what the order still keeps.  Each part
    # then stays within what is left, and refunding the rest takes back exactly all of it, however
    # the refunds were split (weights fixed at the settled amounts would not: after a first part the
    # commissions, already reduced, would be weighed against the brand's full settled amount).
    commissions = hooks.commissions_of(order)
    fee_left = order.settled_fee - order.refunded_fee
    kept = order.paid_amount - order.refunded_amount
    split = ledger.split_refund(
        amount=refund.amount,
        brand_part=max(0, kept - fee_left - sum(commissions.values())),
        fee=fee_left,
        commissions=commissions,
    )
    for hook in hooks.CLAWBACK:
        hook(order, dict(split.commission_parts))
    fee_part = min(split.fee_part, order.settled_fee - order.refunded_fee)
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
    for hook in hooks.REFUNDED:
        hook(order, refund.amount)
