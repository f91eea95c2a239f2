"""Consumer pages: apply from an order, my requests, a request (track, message, ship back,
escalate, withdraw), and the request's photos (served to the parties only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.trade import selectors as trade_selectors

from . import refunding, selectors, services
from .forms import ApplyForm, ReturnShipmentForm


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    return render(
        request, "aftersales/list.html", {"requests": selectors.consumer_requests(request.user)[:100]}
    )


@login_required
def apply(request: HttpRequest, order_id: int) -> HttpResponse:
    order = trade_selectors.consumer_order(request.user, order_id)
    if order is None:
        raise Http404("No such order.")
    form = ApplyForm(request.POST or None, order=order, initial={"line": request.GET.get("line", 0)})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        line = order.lines.filter(pk=data["line"]).first() if data["line"] else None
        try:
            created = services.create_request(
                consumer=request.user,
                order_id=order.pk,
                line_id=data["line"] or None,
                kind=data["kind"],
                reason=data["reason"],
                description=data["description"],
                amount=data["amount"] or refunding.refundable(order, line),  # blank: all that is left
                quantity=data["quantity"] or 0,
                photos=request.FILES.getlist("photos"),
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Request sent. The brand will answer by the deadline shown."))
            return redirect("aftersales:detail", created.pk)
    if request.method == "POST":
        status = 400
    caps = [(line, refunding.refundable(order, line)) for line in order.lines.all()]
    return render(
        request,
        "aftersales/apply.html",
        {"order": order, "form": form, "caps": caps, "whole_cap": refunding.refundable(order, None)},
        status=status,
    )


@login_required
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    item = selectors.consumer_request(request.user, request_id)
    if item is None:
        raise Http404("No such request.")
    selectors.mark_read(item, user=request.user)
    return render(request, "aftersales/detail.html", {"item": item, "ship_form": ReturnShipmentForm()})


@require_POST
@login_required
def action(request: HttpRequest, request_id: int) -> HttpResponse:
    if selectors.consumer_request(request.user, request_id) is None:
        raise Http404("No such request.")
    what = request.POST.get("action")
    try:
        if what == "message":
            services.post_message(
                author=request.user,
                request_id=request_id,
                body=request.POST.get("body", ""),
                photos=request.FILES.getlist("photos"),
            )
        elif what == "ship_back":
            services.ship_back(
                consumer=request.user,
                request_id=request_id,
                carrier=request.POST.get("carrier", ""),
                tracking_no=request.POST.get("tracking_no", ""),
            )
            messages.success(request, _("Thank you: the brand will confirm when the goods arrive."))
        elif what == "escalate":
            services.escalate(consumer=request.user, request_id=request_id, note=request.POST.get("note", ""))
            messages.success(request, _("The platform will look at both sides and decide."))
        elif what == "cancel":
            services.cancel(consumer=request.user, request_id=request_id)
            messages.success(request, _("Request withdrawn."))
        else:
            raise services.AftersalesError(_("Unknown action."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        item = selectors.consumer_request(request.user, request_id)
        return render(
            request,
            "aftersales/detail.html",
            {"item": item, "ship_form": ReturnShipmentForm(request.POST)},
            status=400,
        )
    return redirect("aftersales:detail", request_id)


@login_required
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    evidence = selectors.photo_for(request.user, photo_id)
    if evidence is None:
        raise Http404("No such photo.")
    response = FileResponse(evidence.image.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
