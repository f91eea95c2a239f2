"""The reconciliation page under ``/platform/finance/reconciliation/`` (platform staff only; others 403):
the days reconciled, the breaks found, a day reconciled on demand, a break resolved with a note
(and a ledger adjustment where money moved)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import platform_staff

from . import reconciliation, selectors
from .models import GatewayChoice, ReconciliationBreak


def _page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    run = request.GET.get("run", "")
    run_id = int(run) if run.isdigit() else None
    show_all = request.GET.get("all") == "1" or run_id is not None
    context = {
        "runs": selectors.reconciliation_runs()[:60],
        "breaks": selectors.reconciliation_breaks(run_id=run_id, open_only=not show_all)[:500],
        "run_id": run_id,
        "show_all": show_all,
        "providers": GatewayChoice.choices,
        "default_date": date.fromordinal(reconciliation.today_in_china().toordinal() - 1).isoformat(),
    }
    return render(request, "payments/reconciliation.html", context, status=status)


@platform_staff
def reconciliation_index(request: HttpRequest) -> HttpResponse:
    """The runs and breaks; POST reconciles one provider's bills of one day now."""
    if request.method != "POST":
        return _page(request)
    provider = request.POST.get("provider", "")
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
        if provider not in GatewayChoice.values:
            raise reconciliation.ReconciliationError(_("Choose a provider."))
        run = reconciliation.reconcile(provider, day, user=request.user)
    except ValueError as exc:  # ReconciliationError is a ValueError too
        text = (
            str(exc)
            if isinstance(exc, reconciliation.ReconciliationError)
            else _("Enter a date as YYYY-MM-DD.")
        )
        messages.error(request, text)
        return _page(request, status=400)
    messages.success(
        request,
        _("Reconciled: %(matched)s matched, %(breaks)s breaks.")
        % {"matched": run.matched, "breaks": run.break_count},
    )
    return redirect(f"{request.path}?run={run.pk}")


@require_POST
@platform_staff
def resolve_break(request: HttpRequest, break_id: int) -> HttpResponse:
    brk = get_object_or_404(ReconciliationBreak, pk=break_id)
    try:
        reconciliation.resolve_break(
            break_id=brk.pk,
            user=request.user,
            note=request.POST.get("note", ""),
            adjust=request.POST.get("adjust") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, status=400)
    messages.success(request, _("Break resolved."))
    return redirect(f"{reverse('finance:reconciliation')}?run={brk.run_id}")
