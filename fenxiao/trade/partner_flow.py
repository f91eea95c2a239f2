"""Orders on the service-provider funds flow (服务商模式): the trade side of
``payments.profit_sharing``, with the ledger following the money (``ledger.partner``).

- **paid**: each brand's part landed frozen at its sub-merchant;
- **settled** (after the freeze, by ``fulfilment.settle``; the set-based batch leaves these
  orders to it, see ``settlement``): one profit-sharing order sends the platform fee to the
  platform and the commissions to the distributors, then the rest is unfrozen for the brand;
- **refunded before settlement**: from the frozen money, pending commissions reversed as usual;
- **refunded after settlement**: the refund split (``refund_split``) says how much of the fee and
  of each commission the refund takes back; what went to the platform's merchant is returned to
  the brand first (分账回退), then the brand's sub-merchant refunds the consumer.

A cart mixing brands on different funds flows is refused at checkout (one payment cannot land
both with the platform and with sub-merchants): ``payments.profit_sharing.flow_for_brands``.
"""

from __future__ import annotations

from fenxiao.ledger import partner as ledger_partner
from fenxiao.payments import profit_sharing
from fenxiao.payments.gateways.base import GatewayError
from fenxiao.payments.models import Payment, PaymentSubOrder, Refund

from . import extensions, refund_split
from .errors import TradeError
from .models import Order


def is_partner_order(order: Order) -> bool:
    return profit_sharing.is_partner(order.checkout.payment)


def _sub_order(order: Order) -> PaymentSubOrder:
    sub = profit_sharing.sub_order_of(order.checkout.payment, order.brand_id)
    if sub is None:
        raise TradeError(f"order {order.order_no} has no sub-order in its payment")
    return sub


def record_paid(payment: Payment) -> None:
    for sub in PaymentSubOrder.objects.filter(payment=payment).order_by("id"):
        ledger_partner.record_sub_merchant_payment(
            payment_reference=sub.out_trade_no,
            brand=sub.brand_id,
            amount=sub.amount,
            idempotency_key=f"payment:{sub.out_trade_no}",
        )


def settle(order: Order, *, goods: int, shipping: int, fee: int, commissions: dict[int, int]) -> None:
    """Share the fee and the commissions, unfreeze the rest, and record it (inside ``settle``'s
    transaction: a refusal of the provider rolls the settlement back, to be tried again)."""
    if goods + shipping <= 0:
        return
    try:
        sharing = profit_sharing.share_and_unfreeze(
            _sub_order(order), fee=fee, commissions=commissions, reference=f"settle:{order.pk}"
        )
    except GatewayError as exc:
        raise TradeError(f"profit sharing of order {order.order_no} failed: {exc}") from exc
    ledger_partner.record_profit_sharing(
        order_reference=order.reference,
        brand=order.brand_id,
        goods_amount=goods,
        shipping_amount=shipping,
        platform_fee=fee,
        commissions=commissions,
        via_platform=sharing.via_platform,
        idempotency_key=f"settle:{order.pk}",
    )


def _split(order: Order, amount: int) -> refund_split.RefundSplit:
    return refund_split.split_after_settlement(
        amount=amount,
        kept=order.paid_amount - order.refunded_amount,
        fee_left=order.settled_fee - order.refunded_fee,
        commissions_left=extensions.settlement_commissions(order),
    )


def _parts(order: Order, split: refund_split.RefundSplit) -> tuple[int, dict[int, int], dict[int, int]]:
    """(returned by the platform, of it per commission shared via the platform, direct commissions)."""
    sharing = profit_sharing.sharing_of(_sub_order(order))
    direct_users = {
        r["user_id"] for r in (sharing.receivers if sharing else []) if r["type"] == "PERSONAL_OPENID"
    }
    via = {u: v for u, v in split.commission_parts.items() if u not in direct_users and v}
    direct = {u: v for u, v in split.commission_parts.items() if u in direct_users and v}
    return split.fee_part + sum(via.values()), via, direct


def return_before_refund(order: Order, *, amount: int, reference: str) -> None:
    """Before refunding a shared order: the platform returns its part to the brand (分账回退)."""
    if order.settled_at is None:
        return
    sharing = profit_sharing.sharing_of(_sub_order(order))
    returned, _via, _direct = _parts(order, _split(order, amount))
    if not returned or sharing is None:
        return
    try:
        done = profit_sharing.return_from_platform(
            sharing, amount=returned, reference=f"return:{order.pk}:{reference}"
        )
    except GatewayError as exc:
        raise TradeError(f"the profit-sharing return failed: {exc}") from exc
    ledger_partner.record_sharing_return(
        return_reference=done.out_return_no,
        brand=order.brand_id,
        amount=done.amount,
        idempotency_key=f"sharing-return:{done.pk}",
    )


def record_refund(order: Order, refund: Refund) -> int:
    """The ledger of a succeeded refund of a service-provider order; returns the fee part."""
    if order.settled_at is None:
        extensions.refund_before_settlement(order, refund.amount)
        ledger_partner.record_sub_merchant_refund(
            refund_reference=refund.out_refund_no,
            brand=order.brand_id,
            amount=refund.amount,
            idempotency_key=f"refund:{refund.pk}",
        )
        return 0
    split = _split(order, refund.amount)
    _returned, via, direct = _parts(order, split)
    extensions.clawback(order, dict(split.commission_parts))
    ledger_partner.record_refund_after_sharing(
        refund_reference=refund.out_refund_no,
        brand=order.brand_id,
        fee_part=split.fee_part,
        returned_commissions=via,
        direct_commissions=direct,
        idempotency_key=f"refund:{refund.pk}",
    )
    return split.fee_part
