"""The platform's funds-flow page (``/platform/funds-flow/``): which brands the platform collects
for and which are WeChat Pay sub-merchants paid by profit sharing (platform staff only)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenxiao.accounts.decorators import platform_staff

from . import funds_flow
from .models import FundsFlow


class FundsFlowForm(forms.Form):
    brand = forms.IntegerField(widget=forms.HiddenInput)
    flow = forms.ChoiceField(label=gettext_lazy("funds flow"), choices=FundsFlow.choices)
    sub_mchid = forms.CharField(
        label=gettext_lazy("sub-merchant id (sub_mchid)"),
        required=False,
        max_length=12,
        help_text=gettext_lazy("Write-only; leave blank to keep the one on file."),
    )


@platform_staff
def funds_flow_page(request: HttpRequest) -> HttpResponse:
    form = FundsFlowForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                funds_flow.set_funds_flow(
                    staff=request.user,
                    brand_id=form.cleaned_data["brand"],
                    flow=form.cleaned_data["flow"],
                    sub_mchid=form.cleaned_data["sub_mchid"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Funds flow saved."))
                return redirect("platform:funds_flow")
        status = 400
    return render(
        request,
        "payments/platform/funds_flow.html",
        {"rows": funds_flow.funds_flows(), "form": form, "flows": FundsFlow.choices},
        status=status,
    )
