"""Ledger reads."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from .models import AccountCode, BrandStatement, JournalEntry, JournalLine, LedgerAccount, PayoutRun


def trial_balance() -> int:
    """The sum of every account's balance: always 0."""
    return LedgerAccount.objects.aggregate(total=Sum("balance"))["total"] or 0


def balances_match_lines() -> bool:
    """Stored balances equal the sum of their lines (used by tests and the admin page)."""
    sums = dict(JournalLine.objects.values_list("account_id").annotate(total=Sum("amount")))
    return all(sums.get(a.pk, 0) == a.balance for a in LedgerAccount.objects.all())


def balance(code: str, *, brand_id: int | None = None, user_id: int | None = None) -> int:
    acct = LedgerAccount.objects.filter(code=code, brand_id=brand_id, user_id=user_id).first()
    return acct.balance if acct else 0


def entries_for(reference: str) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(reference=reference).prefetch_related("lines__account").order_by("id")


def accounts_overview() -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.select_related("brand", "user").order_by("code", "brand_id", "user_id")


def distributor_wallet(*, brand_id: int, user_id: int) -> dict[str, int]:
    """Pending / available / withdrawing / withdrawn, as positive amounts owed to the distributor."""
    paid = (
        JournalLine.objects.filter(
            entry__kind="withdrawal_paid",
            account__code=AccountCode.COMMISSION_WITHDRAWING,
            account__brand_id=brand_id,
            account__user_id=user_id,
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return {
        "pending": -balance(AccountCode.COMMISSION_PENDING, brand_id=brand_id, user_id=user_id),
        "available": -balance(AccountCode.COMMISSION_AVAILABLE, brand_id=brand_id, user_id=user_id),
        "withdrawing": -balance(AccountCode.COMMISSION_WITHDRAWING, brand_id=brand_id, user_id=user_id),
        "withdrawn": paid,
    }


def brand_statements(*, brand_id: int | None = None) -> QuerySet[BrandStatement]:
    """Stored statements, newest first; one brand's, or every brand's for the platform."""
    qs = BrandStatement.objects.select_related("brand")
    return qs.filter(brand_id=brand_id) if brand_id is not None else qs


def brand_statement(statement_id: int, *, brand_id: int | None = None) -> BrandStatement:
    """One statement with its lines; ``brand_id`` restricts it to that brand (404 otherwise)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(brand_statements(brand_id=brand_id).prefetch_related("lines"), pk=statement_id)


def statement_cycle(brand_id: int) -> str:
    from .statements import cycle_of

    return cycle_of(brand_id)


def payout_runs() -> QuerySet[PayoutRun]:
    return PayoutRun.objects.select_related("created_by", "approved_by").annotate(
        total=Sum("payouts__amount"), count=Count("payouts")
    )


def payout_run(run_id: int) -> PayoutRun:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(payout_runs().prefetch_related("payouts__brand"), pk=run_id)
