"""Ledger postings of the service-provider funds flow (服务商模式, see ``payments.profit_sharing``).

The consumer's money lands at the brand's WeChat Pay sub-merchant, not with the platform:
``sub_merchant_frozen`` (per brand, debit) is what is frozen there for profit sharing, kept apart
from ``gateway_cash`` (the platform's own cash).  ``platform_clearing`` and ``commission_pending``
mean what they mean in the platform flow (the orders' money not yet settled, the distributors'
pending commission), so the commission and refund rules work unchanged.  Once unfrozen, the
brand's part is the brand's own money and leaves the platform's books: no ``brand_payable``.

===========================  ======================================================================
payment to a sub-merchant    Dr sub_merchant_frozen (brand) / Cr platform_clearing
refund before settlement     Dr platform_clearing / Cr sub_merchant_frozen (brand)
profit sharing + unfreeze    Dr platform_clearing (goods + shipping − commission)
                             Dr commission_pending (every distributor of the order)
                             Dr gateway_cash (fee + commissions shared to the platform)
                             Cr platform_fee_revenue (fee)
                             Cr commission_available (commissions shared to the platform for
                             distributors without a WeChat openid: the platform owes them)
                             Cr sub_merchant_frozen (goods + shipping: frozen → 0)
分账回退 before a refund      ``sharing_return``: Dr brand_payable / Cr gateway_cash (the brand
                             holds the platform's money until the refund is made)
refund after sharing         ``sharing_returned``: Dr platform_fee_revenue, Dr commission_available
                             (shared via the platform) / Cr brand_payable — the returned money
                             went to the consumer; ``commission_clawback``: Dr
                             commission_available / Cr brand_payable for commissions shared to a
                             person (no return possible: the brand's refund paid them, the
                             platform owes the brand and claws the distributor back)
===========================  ======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping

from fenxiao.accounts.models import Brand

from .models import AccountCode, JournalEntry
from .services import LedgerError, account, post_entry


def _frozen(brand):
    return account(AccountCode.SUB_MERCHANT_FROZEN, brand=brand)


def record_sub_merchant_payment(
    *, payment_reference: str, brand: Brand | int, amount: int, idempotency_key: str
) -> JournalEntry:
    return post_entry(
        kind="sub_merchant_payment",
        reference=payment_reference,
        lines=[(_frozen(brand), amount), (account(AccountCode.PLATFORM_CLEARING), -amount)],
        idempotency_key=idempotency_key,
    )


def record_sub_merchant_refund(
    *, refund_reference: str, brand: Brand | int, amount: int, idempotency_key: str
) -> JournalEntry:
    """A refund before profit sharing: it comes out of the money frozen at the sub-merchant."""
    return post_entry(
        kind="sub_merchant_refund",
        reference=refund_reference,
        lines=[(account(AccountCode.PLATFORM_CLEARING), amount), (_frozen(brand), -amount)],
        idempotency_key=idempotency_key,
    )


def record_profit_sharing(
    *,
    order_reference: str,
    brand: Brand | int,
    goods_amount: int,
    shipping_amount: int,
    platform_fee: int,
    commissions: Mapping[int, int],
    via_platform: Mapping[int, int],
    idempotency_key: str,
) -> JournalEntry:
    """Settlement of a service-provider order: ``commissions`` (user id → fen) are all its pending
    commissions, ``via_platform`` those of them the platform's merchant received for the
    distributor; the others went to the distributors' own WeChat wallets."""
    commissions = {k: v for k, v in commissions.items() if v}
    if any(u not in commissions or v > commissions[u] for u, v in via_platform.items() if v):
        raise LedgerError("a commission shared via the platform is not one of the order's")
    total = sum(commissions.values())
    kept = goods_amount + shipping_amount
    if kept - total - platform_fee < 0:
        raise LedgerError("commission and fee exceed what was paid for the goods")
    to_platform = platform_fee + sum(via_platform.values())
    lines = [
        (account(AccountCode.PLATFORM_CLEARING), kept - total),
        (account(AccountCode.GATEWAY_CASH), to_platform),
        (account(AccountCode.PLATFORM_FEE_REVENUE), -platform_fee),
        (_frozen(brand), -kept),
    ]
    for user_id, amount in commissions.items():
        lines.append((account(AccountCode.COMMISSION_PENDING, brand=brand, user=user_id), amount))
    for user_id, amount in via_platform.items():
        if amount:
            lines.append((account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=user_id), -amount))
    return post_entry(
        kind="profit_sharing", reference=order_reference, lines=lines, idempotency_key=idempotency_key
    )


def record_sharing_return(
    *, return_reference: str, brand: Brand | int, amount: int, idempotency_key: str
) -> JournalEntry:
    """The platform's merchant returned ``amount`` to the brand's sub-merchant (分账回退) for a refund
    about to be made: until that refund succeeds the brand holds the platform's money, so it owes it
    (a debit on ``brand_payable``; a refund that then fails leaves it owed, netted in payout runs)."""
    return post_entry(
        kind="sharing_return",
        reference=return_reference,
        lines=[
            (account(AccountCode.BRAND_PAYABLE, brand=brand), amount),
            (account(AccountCode.GATEWAY_CASH), -amount),
        ],
        idempotency_key=idempotency_key,
    )


def record_refund_after_sharing(
    *,
    refund_reference: str,
    brand: Brand | int,
    fee_part: int,
    returned_commissions: Mapping[int, int],
    direct_commissions: Mapping[int, int],
    idempotency_key: str,
) -> list[JournalEntry]:
    """A refund of a shared order, in up to two entries: ``sharing_returned`` — what the platform
    returned to the brand before the refund (:func:`record_sharing_return`) paid ``fee_part`` and
    ``returned_commissions`` back to the consumer, so the brand owes it no more — and
    ``commission_clawback`` — ``direct_commissions`` were paid to persons, so the brand's refund paid
    them: clawed back from the distributors, owed to the brand (a statement adjustment).  The brand's
    own part of the refund is not on the platform's books."""
    entries = []
    returned = fee_part + sum(returned_commissions.values())
    if returned:
        lines = [
            (account(AccountCode.PLATFORM_FEE_REVENUE), fee_part),
            (account(AccountCode.BRAND_PAYABLE, brand=brand), -returned),
        ]
        lines += [
            (account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=user_id), amount)
            for user_id, amount in returned_commissions.items()
            if amount
        ]
        entries.append(
            post_entry(
                kind="sharing_returned",
                reference=refund_reference,
                lines=lines,
                idempotency_key=f"{idempotency_key}:returned",
            )
        )
    direct = {u: a for u, a in direct_commissions.items() if a}
    if direct:
        lines = [(account(AccountCode.BRAND_PAYABLE, brand=brand), -sum(direct.values()))]
        lines += [
            (account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=u), a) for u, a in direct.items()
        ]
        entries.append(
            post_entry(
                kind="commission_clawback",
                reference=refund_reference,
                lines=lines,
                idempotency_key=f"{idempotency_key}:clawback",
            )
        )
    return entries
