"""The ledger's words for people: journal entry kinds and account codes in the reader's language,
and what an account's balance means, negative ones included.

Entries are stored with English kinds (``order_settled``, ``reversal:brand_payout`` …) and lines in
the double-entry sign convention (a debit positive, a credit negative), so an account that holds
money owed to someone — a brand, a distributor, the platform's revenue — shows a negative balance.
Pages show these through :func:`entry_kind_label` and :func:`balance_note`."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import AccountCode

ENTRY_KINDS: dict[str, Promise] = {
    "payment_received": _("Payment received"),
    "commission_pending": _("Commission recorded (pending)"),
    "commission_reversed": _("Commission reversed by a refund"),
    "order_settled": _("Order settled"),
    "refund": _("Refund"),
    "brand_payout": _("Payout to the brand"),
    "brand_payout_failed": _("Payout to the brand failed"),
    "withdrawal_requested": _("Withdrawal requested"),
    "withdrawal_paid": _("Withdrawal paid out"),
    "withdrawal_failed": _("Withdrawal failed (returned)"),
    "reconciliation_adjustment": _("Reconciliation adjustment"),
    "sub_merchant_payment": _("Payment received at the brand's sub-merchant"),
    "sub_merchant_refund": _("Refund from the brand's sub-merchant"),
    "profit_sharing": _("Profit sharing at settlement"),
    "sharing_return": _("Profit sharing returned to the brand"),
    "sharing_returned": _("Returned sharing paid to the consumer"),
    "commission_clawback": _("Commission clawed back for the brand"),
}

# What each account holds, then what a balance below zero and above zero means there.
ACCOUNT_NOTES: dict[str, tuple[Promise, Promise, Promise]] = {
    AccountCode.GATEWAY_CASH: (
        _("Money the platform holds at the payment provider."),
        _("Never below zero."),
        _("Cash held at the payment provider."),
    ),
    AccountCode.PLATFORM_CLEARING: (
        _("Consumers' money held for orders not yet settled."),
        _("Negative: money held for consumers' orders until they settle."),
        _("Never above zero."),
    ),
    AccountCode.BRAND_PAYABLE: (
        _("What the platform owes the brand for settled orders."),
        _("Negative: the platform owes the brand this amount."),
        _("Positive: the brand owes a claw-back after refunds of settled orders; later sales net it out."),
    ),
    AccountCode.COMMISSION_PENDING: (
        _("Distributors' commission on paid orders that have not settled yet."),
        _("Negative: commission owed to the distributor once the orders settle."),
        _("Never above zero."),
    ),
    AccountCode.COMMISSION_AVAILABLE: (
        _("Distributors' commission they may withdraw."),
        _("Negative: withdrawable commission owed to the distributor."),
        _(
            "Positive: a claw-back — a refund came after the commission settled; the distributor's "
            "later earnings net it out."
        ),
    ),
    AccountCode.COMMISSION_WITHDRAWING: (
        _("Withdrawals requested and not yet paid out."),
        _("Negative: owed to the distributor, being paid out."),
        _("Never above zero."),
    ),
    AccountCode.PLATFORM_FEE_REVENUE: (
        _("The platform's fee income."),
        _("Negative: the platform's earned fees (income is a credit)."),
        _("Never above zero."),
    ),
    AccountCode.SUB_MERCHANT_FROZEN: (
        _(
            "Consumers' money frozen at a brand's own sub-merchant until profit sharing (not the platform's cash)."
        ),
        _("Never below zero."),
        _("Positive: money frozen at the brand's sub-merchant, waiting for profit sharing."),
    ),
    AccountCode.RECONCILIATION_DIFF: (
        _("Differences with the payment provider's bills, written off when a break is resolved."),
        _("Negative: the provider's bills showed more money than our books; the difference was booked."),
        _("Positive: our books showed more money than the provider's bills; the difference was written off."),
    ),
}

SIGN_CONVENTION = _(
    "Double-entry signs: money held (cash at the provider, a claw-back owed to the platform) is "
    "positive; money owed to someone (a brand, a distributor, the platform's revenue) is negative. "
    "Every entry's lines sum to zero, so all balances together are always ¥0.00."
)


def entry_kind_label(kind: str) -> str:
    """A journal entry kind in the reader's language (a reversal named after what it reverses)."""
    if kind.startswith("reversal:"):
        return gettext("Reversal of: %(kind)s") % {"kind": entry_kind_label(kind.removeprefix("reversal:"))}
    label = ENTRY_KINDS.get(kind)
    return str(label) if label is not None else kind


def account_label(code: str) -> str:
    try:
        return str(AccountCode(code).label)
    except ValueError:
        return code


def balance_note(code: str, balance: int) -> str:
    """What an account's balance means: its purpose, and for a non-zero balance what its sign says."""
    notes = ACCOUNT_NOTES.get(code)
    if notes is None:
        return ""
    purpose, negative, positive = notes
    if balance < 0:
        return f"{purpose} {negative}"
    if balance > 0:
        return f"{purpose} {positive}"
    return str(purpose)
