"""Brand console: every marketing tool with its results; create, schedule, pause, issue coupons.
Every view is guarded by ``brand_console(Perm.MARKETING_MANAGE)`` and touches only its brand."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm

from . import coupons, selectors, services
from .forms import CouponForm, FlashSaleForm, GroupDealForm, PromotionForm

FORMS = {
    "coupon": (CouponForm, services.create_coupon, gettext_lazy("New coupon")),
    "promotion": (PromotionForm, services.create_promotion, gettext_lazy("New full-reduction promotion")),
    "flash": (FlashSaleForm, services.create_flash_sale, gettext_lazy("New flash sale")),
    "group": (GroupDealForm, services.create_group_deal, gettext_lazy("New group deal")),
}


@brand_console(Perm.MARKETING_MANAGE)
def overview(request: HttpRequest, brand_id: int) -> HttpResponse:
    context = selectors.console_overview(brand_id)
    return render(request, "marketing/console/overview.html", {"brand": request.brand, **context})


def _create(request: HttpRequest, brand_id: int, kind: str) -> HttpResponse:
    form_class, create, title = FORMS[kind]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)
        try:
            create(actor=request.brand_staff, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved. It runs in the window you set."))
            return redirect("console:marketing", brand_id)
    return render(
        request,
        "marketing/console/form.html",
        {"brand": request.brand, "form": form, "title": str(title), "kind": kind},
        status=400 if form.errors else 200,
    )


@brand_console(Perm.MARKETING_MANAGE)
def new_coupon(request: HttpRequest, brand_id: int) -> HttpResponse:
    return _create(request, brand_id, "coupon")


@brand_console(Perm.MARKETING_MANAGE)
def new_promotion(request: HttpRequest, brand_id: int) -> HttpResponse:
    return _create(request, brand_id, "promotion")


@brand_console(Perm.MARKETING_MANAGE)
def new_flash_sale(request: HttpRequest, brand_id: int) -> HttpResponse:
    return _create(request, brand_id, "flash")


@brand_console(Perm.MARKETING_MANAGE)
def new_group_deal(request: HttpRequest, brand_id: int) -> HttpResponse:
    return _create(request, brand_id, "group")


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@require_POST
@brand_console(Perm.MARKETING_MANAGE)
def pause(request: HttpRequest, brand_id: int) -> HttpResponse:
    try:
        services.set_paused(
            actor=request.brand_staff,
            kind=request.POST.get("kind", ""),
            pk=_int(request.POST.get("id")),
            paused=request.POST.get("paused") == "1",
        )
    except ValidationError as exc:
        return render(request, "trade/problem.html", {"messages_list": exc.messages}, status=404)
    messages.success(request, _("Saved."))
    return redirect("console:marketing", brand_id)


@require_POST
@brand_console(Perm.MARKETING_MANAGE)
def issue(request: HttpRequest, brand_id: int) -> HttpResponse:
    try:
        count = coupons.issue_coupon(actor=request.brand_staff, coupon_id=_int(request.POST.get("id")))
    except ValidationError as exc:
        return render(request, "trade/problem.html", {"messages_list": exc.messages}, status=404)
    messages.success(request, _("Issued to %(n)d members.") % {"n": count})
    return redirect("console:marketing", brand_id)
