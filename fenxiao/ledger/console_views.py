"""Brand console: the brand's settlement statements (finance role) and its statement cycle."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm

from . import exports, selectors, statements
from .models import StatementCycle


class CycleForm(forms.Form):
    statement_cycle = forms.ChoiceField(label=_("statement cycle"), choices=StatementCycle.choices)


@brand_console(Perm.FINANCE_VIEW)
def statement_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    context = {
        "statements": selectors.brand_statements(brand_id=brand_id)[:200],
        "form": CycleForm(initial={"statement_cycle": selectors.statement_cycle(brand_id)}),
        "can_change_cycle": request.brand_staff.can(Perm.SETTINGS_MANAGE),
    }
    return render(request, "ledger/console/statements.html", context)


@brand_console(Perm.SETTINGS_MANAGE)
def statement_cycle(request: HttpRequest, brand_id: int) -> HttpResponse:
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        statements.set_cycle(actor=request.brand_staff, cycle=form.cleaned_data["statement_cycle"])
        messages.success(request, _("Statement cycle saved; it applies from the next statement."))
    return redirect("console:statements", brand_id)


@brand_console(Perm.FINANCE_VIEW)
def statement_detail(request: HttpRequest, brand_id: int, statement_id: int) -> HttpResponse:
    statement = selectors.brand_statement(statement_id, brand_id=brand_id)
    if request.GET.get("format"):
        return exports.render(statement, request.GET["format"])
    return render(request, "ledger/statement.html", {"statement": statement, "platform": False})
