"""Brand console: the distribution program, distributors and their sales, customers' bindings,
withdrawals.  Every view is guarded by ``brand_console`` and reads only the brand's own rows."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.core.form_fields import PercentField, YuanField

from . import selectors, services, withdrawals
from .application_form import question_formset, questions_of
from .models import DistributionProgram, DistributorMembership, Withdrawal


class ProgramForm(forms.ModelForm):
    """The program in a person's units: rates in percent, money in yuan (stored as basis points
    and fen)."""

    level1_bps = PercentField(
        label=gettext_lazy("Level-1 commission rate (%)"), help_text=gettext_lazy("e.g. 10")
    )
    level2_bps = PercentField(
        label=gettext_lazy("Level-2 commission rate (%)"), required=False, help_text=gettext_lazy("e.g. 3")
    )
    min_withdrawal = YuanField(
        label=gettext_lazy("Minimum withdrawal (¥)"), help_text=gettext_lazy("e.g. 10.00")
    )
    withdrawal_fee_bps = PercentField(
        label=gettext_lazy("Withdrawal fee (%)"), required=False, help_text=gettext_lazy("0 for no fee")
    )

    class Meta:
        model = DistributionProgram
        fields = sorted(services.PROGRAM_FIELDS - {"application_fields"})

    def clean(self) -> dict:
        data = super().clean()
        for name in ("level2_bps", "withdrawal_fee_bps"):
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        return data


def _messages_of(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


@brand_console(Perm.DISTRIBUTION_MANAGE)
def program(request: HttpRequest, brand_id: int) -> HttpResponse:
    current = services.program_for(brand_id)
    form = ProgramForm(request.POST or None, instance=current)
    questions = question_formset(request.POST or None, current.application_fields)
    if request.method == "POST" and form.is_valid() and questions.is_valid():
        try:
            services.update_program(
                actor=request.brand_staff,
                application_fields=questions_of(questions),
                **{k: form.cleaned_data[k] for k in form.Meta.fields},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Program saved."))
            return redirect("console:distribution_program", brand_id)
    levels = selectors.brand_levels(brand_id)
    invalid = bool(form.errors) or (request.method == "POST" and not questions.is_valid())
    return render(
        request,
        "distribution/console/program.html",
        {"brand": request.brand, "form": form, "questions": questions, "levels": levels},
        status=400 if invalid else 200,
    )


@brand_console(Perm.DISTRIBUTION_MANAGE)
def distributors(request: HttpRequest, brand_id: int) -> HttpResponse:
    memberships = selectors.brand_distributors_with_sales(brand_id)
    return render(
        request,
        "distribution/console/distributors.html",
        {"brand": request.brand, "memberships": memberships},
    )


@require_POST
@brand_console(Perm.DISTRIBUTION_MANAGE)
def decide(request: HttpRequest, brand_id: int, membership_id: int) -> HttpResponse:
    try:
        services.decide_membership(
            actor=request.brand_staff,
            membership_id=membership_id,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
    except DistributorMembership.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("console:distributors", brand_id)


@brand_console(Perm.DISTRIBUTION_MANAGE)
def customers(request: HttpRequest, brand_id: int) -> HttpResponse:
    bindings = selectors.brand_bindings(brand_id)
    return render(
        request, "distribution/console/customers.html", {"brand": request.brand, "bindings": bindings}
    )


@brand_console(Perm.FINANCE_VIEW)
def withdrawal_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    rows = selectors.brand_withdrawals(brand_id)
    return render(
        request, "distribution/console/withdrawals.html", {"brand": request.brand, "withdrawals": rows}
    )


@require_POST
@brand_console(Perm.FINANCE_WITHDRAWALS)
def withdrawal_decide(request: HttpRequest, brand_id: int, withdrawal_id: int) -> HttpResponse:
    try:
        if request.POST.get("action") == "approve":
            withdrawal = withdrawals.approve_withdrawal(
                actor=request.brand_staff, withdrawal_id=withdrawal_id
            )
            messages.success(request, withdrawal.get_status_display())
        else:
            withdrawals.reject_withdrawal(
                actor=request.brand_staff, withdrawal_id=withdrawal_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Rejected."))
    except Withdrawal.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _messages_of(exc))
    return redirect("console:withdrawals", brand_id)


class LevelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=30)
    rate = PercentField(label=gettext_lazy("Level-1 commission rate (%)"))
    min_sales = YuanField(label=gettext_lazy("Reached at sales of (¥)"), required=False)
    min_customers = forms.IntegerField(label=gettext_lazy("or at customers"), min_value=0, required=False)

    def errors_text(self) -> str:
        """Each error with its field's label, for a message above the page."""
        return " ".join(
            f"{self.fields[name].label}: {error}" if name in self.fields else str(error)
            for name, errors in self.errors.items()
            for error in errors
        )


@require_POST
@brand_console(Perm.DISTRIBUTION_MANAGE)
def add_level(request: HttpRequest, brand_id: int) -> HttpResponse:
    form = LevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors_text())
        return redirect("console:distribution_program", brand_id)
    data = form.cleaned_data
    try:
        services.add_level(
            actor=request.brand_staff,
            name=data["name"],
            rate_bps=data["rate"],
            min_sales=data["min_sales"] or 0,
            min_customers=data["min_customers"] or 0,
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("Level added."))
    return redirect("console:distribution_program", brand_id)
