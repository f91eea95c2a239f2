from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors
from .terms import SIGN_CONVENTION


@staff_member_required
def trial_balance(request: HttpRequest) -> HttpResponse:
    """Platform staff: every account's balance, the total (always 0) and a consistency check."""
    return render(
        request,
        "ledger/trial_balance.html",
        {
            "accounts": selectors.accounts_overview(),
            "total": selectors.trial_balance(),
            "consistent": selectors.balances_match_lines(),
            "entries": selectors.JournalEntry.objects.prefetch_related("lines__account")[:50],
            "sign_convention": SIGN_CONVENTION,
        },
    )
