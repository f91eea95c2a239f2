"""Brand console: the after-sales queue with deadlines, a request (decide, message, confirm the
returned goods, ship the exchange) and the brand's after-sales policy."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock

from . import conf, selectors, services
from .forms import PolicyForm, ReturnShipmentForm
from .models import Status


@brand_console(Perm.AFTERSALES_HANDLE)
def queue(request: HttpRequest, brand_id: int) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    return render(
        request,
        "aftersales/console/queue.html",
        {
            "brand": request.brand,
            "requests": selectors.brand_queue(brand_id, status=status)[:200],
            "status": status,
            "statuses": Status.choices,
            "now": clock.now(),
        },
    )


def _render_detail(request: HttpRequest, brand_id: int, request_id: int, *, status: int = 200, form=None):
    item = selectors.brand_request(brand_id, request_id)
    if item is None:
        raise Http404("No such request in this brand.")
    selectors.mark_read(item, brand_id=brand_id)
    return render(
        request,
        "aftersales/console/detail.html",
        {"brand": request.brand, "item": item, "ship_form": form or ReturnShipmentForm(), "now": clock.now()},
        status=status,
    )


@brand_console(Perm.AFTERSALES_HANDLE)
def detail(request: HttpRequest, brand_id: int, request_id: int) -> HttpResponse:
    return _render_detail(request, brand_id, request_id)


@require_POST
@brand_console(Perm.AFTERSALES_HANDLE)
def action(request: HttpRequest, brand_id: int, request_id: int) -> HttpResponse:
    if selectors.brand_request(brand_id, request_id) is None:
        raise Http404("No such request in this brand.")
    staff = request.brand_staff
    what = request.POST.get("action")
    note = request.POST.get("note", "")
    try:
        if what == "approve":
            services.approve(actor=staff, request_id=request_id, note=note)
            messages.success(request, _("Approved."))
        elif what == "reject":
            services.reject(actor=staff, request_id=request_id, note=note)
            messages.success(request, _("Rejected. The consumer may ask the platform to arbitrate."))
        elif what == "receive":
            services.confirm_return(actor=staff, request_id=request_id)
            messages.success(request, _("Return received."))
        elif what == "ship_exchange":
            services.ship_exchange(
                actor=staff,
                request_id=request_id,
                carrier=request.POST.get("carrier", ""),
                tracking_no=request.POST.get("tracking_no", ""),
            )
            messages.success(request, _("Exchange shipped."))
        elif what == "message":
            services.post_message(
                author=request.user,
                brand_staff=staff,
                request_id=request_id,
                body=request.POST.get("body", ""),
                photos=request.FILES.getlist("photos"),
            )
        else:
            raise services.AftersalesError(_("Unknown action."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _render_detail(
            request, brand_id, request_id, status=400, form=ReturnShipmentForm(request.POST)
        )
    return redirect("console:aftersales_detail", brand_id, request_id)


@brand_console(Perm.SETTINGS_MANAGE)
def policy(request: HttpRequest, brand_id: int) -> HttpResponse:
    current = services.policy_for(brand_id)
    form = PolicyForm(
        request.POST or None,
        initial={
            "response_days": current.response_days,
            "return_days": current.return_days,
            "window_days": current.window_days,
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_policy(actor=request.brand_staff, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("After-sales policy saved."))
                return redirect("console:aftersales_policy", brand_id)
        status = 400
    limits = {
        "response": conf.response_days_limits(),
        "return": conf.return_days_limits(),
        "window": conf.window_days_limits(),
    }
    return render(
        request,
        "aftersales/console/policy.html",
        {"brand": request.brand, "form": form, "limits": limits},
        status=status,
    )
