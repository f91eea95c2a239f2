"""Platform finance pages under ``/platform/finance/`` (platform staff only): every brand's
settlement statements and the brand payout runs (maker–checker)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fenxiao.core.form_fields import PercentField, YuanField

from . import exports, payouts, selectors


@staff_member_required
def finance_index(request: HttpRequest) -> HttpResponse:
    brand = request.GET.get("brand", "")
    brand_id = int(brand) if brand.isdigit() else None
    context = {
        "statements": selectors.brand_statements(brand_id=brand_id)[:200],
        "brand_id": brand_id,
        "runs": selectors.payout_runs()[:20],
    }
    return render(request, "ledger/finance_index.html", context)


@staff_member_required
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = selectors.brand_statement(statement_id)
    if request.GET.get("format"):
        return exports.render(statement, request.GET["format"])
    return render(request, "ledger/statement.html", {"statement": statement, "platform": True})


class PayoutRunForm(forms.Form):
    """A payout run in a person's units: the minimum in yuan, the reserve in percent (stored as
    fen and basis points)."""

    minimum = YuanField(label=gettext_lazy("Minimum payout (¥)"), required=False)
    reserve = PercentField(label=gettext_lazy("Reserve on open after-sales (%)"), required=False)


@staff_member_required
def payout_runs(request: HttpRequest) -> HttpResponse:
    """The runs, and (POST) a new run made by the signed-in staff member (the maker)."""
    if request.method == "POST":
        form = PayoutRunForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(
                    [f"{form.fields[k].label}: {e}" for k, v in form.errors.items() for e in v]
                )
            run = payouts.create_run(
                maker=request.user,
                minimum=form.cleaned_data["minimum"] or payouts.default_minimum(),
                reserve_bps=form.cleaned_data["reserve"]
                if form.cleaned_data["reserve"] is not None
                else payouts.default_reserve_bps(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Payout run made: another staff member must approve it."))
            return redirect("finance:payout_run", run.pk)
    context = {
        "runs": selectors.payout_runs()[:100],
        "form": PayoutRunForm(
            initial={"minimum": payouts.default_minimum(), "reserve": payouts.default_reserve_bps()}
        ),
    }
    return render(
        request, "ledger/payout_runs.html", context, status=400 if request.method == "POST" else 200
    )


@staff_member_required
def payout_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.payout_run(run_id)
    if request.GET.get("format") == "csv":
        response = HttpResponse(payouts.bank_transfer_file(run), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payout-run-{run.pk}.csv"'
        return response
    return render(request, "ledger/payout_run.html", {"run": run})


@require_POST
@staff_member_required
def payout_run_action(request: HttpRequest, run_id: int, action: str) -> HttpResponse:
    """``approve`` (the checker: not the maker) or ``execute`` (an approved run; idempotent)."""
    run = selectors.payout_run(run_id)
    try:
        if action == "approve":
            payouts.approve_run(checker=request.user, run_id=run.pk)
            messages.success(request, _("Payout run approved."))
        elif action == "execute":
            payouts.execute_run(run_id=run.pk)
            messages.success(request, _("Payout run executed."))
        else:
            return HttpResponse(status=404)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render(request, "ledger/payout_run.html", {"run": selectors.payout_run(run.pk)}, status=400)
    return redirect("finance:payout_run", run.pk)
