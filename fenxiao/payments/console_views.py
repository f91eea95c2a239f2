from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm

from . import services
from .models import BrandFundsFlow, BrandPaymentSetting, FundsFlow, GatewayChoice, MerchantAccount
from .registry import default_gateway_name

DEFAULT = "default"


class GatewayForm(forms.Form):
    gateway = forms.ChoiceField(
        label=_("payment gateway"),
        choices=[(DEFAULT, _("Platform default"))] + list(GatewayChoice.choices),
        widget=forms.RadioSelect,
    )


@brand_console(Perm.SETTINGS_MANAGE)
def payment_settings(request: HttpRequest, brand_id: int) -> HttpResponse:
    setting = BrandPaymentSetting.objects.filter(brand_id=brand_id).first()
    form = GatewayForm(request.POST or None, initial={"gateway": setting.gateway if setting else DEFAULT})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            choice = form.cleaned_data["gateway"]
            try:
                services.set_brand_gateway(
                    actor=request.brand_staff, gateway=None if choice == DEFAULT else choice
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Payment settings saved."))
                return redirect("console:payment_settings", brand_id)
        status = 400
    context = {
        "form": form,
        "default_gateway": dict(GatewayChoice.choices).get(default_gateway_name(), default_gateway_name()),
        "wechatpay_ready": MerchantAccount.objects.filter(active=True).exists(),
        "service_provider": BrandFundsFlow.objects.filter(
            brand_id=brand_id, flow=FundsFlow.SERVICE_PROVIDER
        ).exists(),
    }
    return render(request, "payments/console/settings.html", context, status=status)
