"""Posting to the ledger.  Every function is one transaction and idempotent by its key: the
same key again returns the entry already posted (and refuses if the lines differ).

Postings (Dr = +, Cr = −):

==========================  ============================================================
payment received            Dr gateway_cash / Cr platform_clearing
commission pending          Dr platform_clearing / Cr commission_pending (distributor)
order settlement            Dr platform_clearing (goods + shipping − pending commission)
                            Dr commission_pending / Cr commission_available (per distributor)
                            Cr brand_payable (goods − commission − fee + shipping)
                            Cr platform_fee_revenue (fee)
refund before settlement    Dr platform_clearing / Cr gateway_cash
                            (+ reverse the order's pending commission pro rata first)
refund after settlement     Dr brand_payable, Dr platform_fee_revenue, Dr commission_available
                            (split pro rata over what each still holds, largest remainder)
                            / Cr gateway_cash
brand payout                Dr brand_payable / Cr gateway_cash
brand payout failed         Dr gateway_cash / Cr brand_payable
withdrawal requested        Dr commission_available / Cr commission_withdrawing
withdrawal paid             Dr commission_withdrawing / Cr gateway_cash (amount − fee),
                            Cr platform_fee_revenue (withdrawal fee)
withdrawal failed           Dr commission_withdrawing / Cr commission_available
reconciliation adjustment   Dr gateway_cash / Cr reconciliation_diff (the provider holds more
                            than we recorded), or the reverse (it holds less)
==========================  ============================================================

The service-provider funds flow (money at brands' sub-merchants, profit sharing) posts through
:mod:`fenxiao.ledger.partner`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.db.models import F

from fenxiao.accounts.models import Brand

from .models import SIGN_RULES, AccountCode, JournalEntry, JournalLine, LedgerAccount, SignRule


class LedgerError(ValueError):
    """An entry that would break the ledger's rules; nothing was posted."""


def account(code: str, *, brand: Brand | int | None = None, user=None) -> LedgerAccount:
    brand_id = brand.pk if isinstance(brand, Brand) else brand
    user_id = getattr(user, "pk", user)
    found = LedgerAccount.objects.filter(code=code, brand_id=brand_id, user_id=user_id).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(
                code=code, brand_id=brand_id, user_id=user_id, sign_rule=SIGN_RULES[code]
            )
    except IntegrityError:
        return LedgerAccount.objects.get(code=code, brand_id=brand_id, user_id=user_id)


Lines = Sequence[tuple[LedgerAccount, int]]


def _merge(lines: Lines) -> dict[int, int]:
    merged: dict[int, int] = {}
    for acct, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerError(f"amounts are integer fen, got {amount!r}")
        merged[acct.pk] = merged.get(acct.pk, 0) + amount
    return {k: v for k, v in merged.items() if v}


@transaction.atomic
def post_entry(
    *, kind: str, reference: str, lines: Lines, idempotency_key: str, memo: str = ""
) -> JournalEntry:
    merged = _merge(lines)
    if not merged:
        raise LedgerError("an entry needs at least one non-zero line")
    if sum(merged.values()) != 0:
        raise LedgerError(f"unbalanced entry {kind} {reference}: lines sum to {sum(merged.values())}")
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_error(existing, merged)
    # Lock the accounts in id order (no deadlocks between concurrent postings).
    accounts = {
        a.pk: a
        for a in LedgerAccount.objects.select_for_update().filter(pk__in=sorted(merged)).order_by("pk")
    }
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_error(existing, merged)
    for pk, delta in merged.items():
        acct = accounts[pk]
        after = acct.balance + delta
        if (acct.sign_rule == SignRule.DEBIT and after < 0) or (
            acct.sign_rule == SignRule.CREDIT and after > 0
        ):
            raise LedgerError(f"{acct} would become {after} (rule: {acct.get_sign_rule_display()})")
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                kind=kind, reference=reference, idempotency_key=idempotency_key, memo=memo[:200]
            )
    except IntegrityError:
        return _same_or_error(JournalEntry.objects.get(idempotency_key=idempotency_key), merged)
    JournalLine.objects.bulk_create(
        [JournalLine(entry=entry, account_id=pk, amount=amount) for pk, amount in merged.items()]
    )
    for pk, delta in merged.items():
        LedgerAccount.objects.filter(pk=pk).update(balance=F("balance") + delta)
    return entry


def _same_or_error(entry: JournalEntry, merged: dict[int, int]) -> JournalEntry:
    posted = {line.account_id: line.amount for line in entry.lines.all()}
    if posted != merged:
        raise LedgerError(f"idempotency key {entry.idempotency_key} was already used for different lines")
    return entry


def reverse_entry(entry: JournalEntry, *, reason: str) -> JournalEntry:
    """A correction: the same lines with opposite signs, as a new entry."""
    return post_entry(
        kind=f"reversal:{entry.kind}",
        reference=entry.reference,
        lines=[(line.account, -line.amount) for line in entry.lines.select_related("account")],
        idempotency_key=f"reversal:{entry.idempotency_key}",
        memo=reason,
    )


def _cash():
    return account(AccountCode.GATEWAY_CASH)


def _clearing():
    return account(AccountCode.PLATFORM_CLEARING)


def record_payment_received(*, payment_reference: str, amount: int, idempotency_key: str) -> JournalEntry:
    return post_entry(
        kind="payment_received",
        reference=payment_reference,
        lines=[(_cash(), amount), (_clearing(), -amount)],
        idempotency_key=idempotency_key,
    )


def record_commission_pending(
    *, order_reference: str, brand: Brand | int, user, amount: int, idempotency_key: str
) -> JournalEntry:
    return post_entry(
        kind="commission_pending",
        reference=order_reference,
        lines=[
            (_clearing(), amount),
            (account(AccountCode.COMMISSION_PENDING, brand=brand, user=user), -amount),
        ],
        idempotency_key=idempotency_key,
    )


def record_commission_reversal(
    *, reference: str, brand: Brand | int, user, amount: int, idempotency_key: str
) -> JournalEntry:
    """Give pending commission back to clearing (a refund before settlement)."""
    return post_entry(
        kind="commission_reversed",
        reference=reference,
        lines=[
            (account(AccountCode.COMMISSION_PENDING, brand=brand, user=user), amount),
            (_clearing(), -amount),
        ],
        idempotency_key=idempotency_key,
    )


def record_order_settlement(
    *,
    order_reference: str,
    brand: Brand | int,
    goods_amount: int,
    shipping_amount: int,
    platform_fee: int,
    commissions: Mapping[int, int] | None = None,
    idempotency_key: str,
) -> JournalEntry:
    """Move a completed order's money out of clearing.  ``commissions`` (user id → fen) are the
    order's pending commissions, which become available now."""
    commissions = {k: v for k, v in (commissions or {}).items() if v}
    total_commission = sum(commissions.values())
    brand_part = goods_amount - total_commission - platform_fee + shipping_amount
    if brand_part < 0:
        raise LedgerError("commission and fee exceed what was paid for the goods")
    lines: list[tuple[LedgerAccount, int]] = [
        (_clearing(), goods_amount + shipping_amount - total_commission),
        (account(AccountCode.BRAND_PAYABLE, brand=brand), -brand_part),
        (account(AccountCode.PLATFORM_FEE_REVENUE), -platform_fee),
    ]
    for user_id, amount in commissions.items():
        lines.append((account(AccountCode.COMMISSION_PENDING, brand=brand, user=user_id), amount))
        lines.append((account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=user_id), -amount))
    return post_entry(
        kind="order_settled", reference=order_reference, lines=lines, idempotency_key=idempotency_key
    )


def record_refund(
    *,
    refund_reference: str,
    brand: Brand | int,
    amount: int,
    settled: bool,
    fee_part: int = 0,
    commission_parts: Mapping[int, int] | None = None,
    idempotency_key: str,
) -> JournalEntry:
    """Money going back to the consumer.  Before settlement it leaves clearing (reverse any pending
    commission first with :func:`record_commission_reversal`); after settlement it is taken from
    brand payable, the fee and the commissions (claw-back) in the given parts (the split is
    ``trade.refund_split``'s rule; the brand's part is what is left)."""
    if not settled:
        lines = [(_clearing(), amount), (_cash(), -amount)]
    else:
        commission_parts = {k: v for k, v in (commission_parts or {}).items() if v}
        brand_part = amount - fee_part - sum(commission_parts.values())
        lines = [
            (account(AccountCode.BRAND_PAYABLE, brand=brand), brand_part),
            (account(AccountCode.PLATFORM_FEE_REVENUE), fee_part),
            (_cash(), -amount),
        ]
        lines += [
            (account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=u), v)
            for u, v in commission_parts.items()
        ]
    return post_entry(kind="refund", reference=refund_reference, lines=lines, idempotency_key=idempotency_key)


def record_brand_payout(
    *, brand: Brand | int, amount: int, reference: str, idempotency_key: str
) -> JournalEntry:
    return post_entry(
        kind="brand_payout",
        reference=reference,
        lines=[(account(AccountCode.BRAND_PAYABLE, brand=brand), amount), (_cash(), -amount)],
        idempotency_key=idempotency_key,
    )


def record_brand_payout_failed(
    *, brand: Brand | int, amount: int, reference: str, idempotency_key: str
) -> JournalEntry:
    """A brand payout the provider refused: the money goes back to the brand's balance."""
    return post_entry(
        kind="brand_payout_failed",
        reference=reference,
        lines=[(_cash(), amount), (account(AccountCode.BRAND_PAYABLE, brand=brand), -amount)],
        idempotency_key=idempotency_key,
    )


def record_reconciliation_adjustment(
    *, difference: int, reference: str, idempotency_key: str, memo: str = ""
) -> JournalEntry:
    """A reconciliation break resolved where money moved: ``difference`` fen more (or, negative,
    less) cash at the provider than the ledger had; the other side is ``reconciliation_diff``."""
    return post_entry(
        kind="reconciliation_adjustment",
        reference=reference,
        lines=[(_cash(), difference), (account(AccountCode.RECONCILIATION_DIFF), -difference)],
        idempotency_key=idempotency_key,
        memo=memo,
    )


def record_withdrawal_requested(
    *, brand: Brand | int, user, amount: int, reference: str, idempotency_key: str
) -> JournalEntry:
    return post_entry(
        kind="withdrawal_requested",
        reference=reference,
        lines=[
            (account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=user), amount),
            (account(AccountCode.COMMISSION_WITHDRAWING, brand=brand, user=user), -amount),
        ],
        idempotency_key=idempotency_key,
    )


def record_withdrawal_paid(
    *, brand: Brand | int, user, amount: int, reference: str, idempotency_key: str, fee: int = 0
) -> JournalEntry:
    """``amount`` leaves the distributor's withdrawing balance: ``amount − fee`` is paid out,
    ``fee`` is the platform's withdrawal fee."""
    lines = [
        (account(AccountCode.COMMISSION_WITHDRAWING, brand=brand, user=user), amount),
        (_cash(), -(amount - fee)),
    ]
    if fee:
        lines.append((account(AccountCode.PLATFORM_FEE_REVENUE), -fee))
    return post_entry(
        kind="withdrawal_paid", reference=reference, lines=lines, idempotency_key=idempotency_key
    )


def record_withdrawal_failed(
    *, brand: Brand | int, user, amount: int, reference: str, idempotency_key: str
) -> JournalEntry:
    return post_entry(
        kind="withdrawal_failed",
        reference=reference,
        lines=[
            (account(AccountCode.COMMISSION_WITHDRAWING, brand=brand, user=user), amount),
            (account(AccountCode.COMMISSION_AVAILABLE, brand=brand, user=user), -amount),
        ],
        idempotency_key=idempotency_key,
    )
