"""Platform arbitration: the queue of disputes and the decision page (platform staff only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fenxiao.accounts.decorators import platform_staff

from . import selectors, services
from .forms import DecisionForm
from .models import Status


@platform_staff
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", Status.DISPUTED)
    if status not in Status.values:
        status = Status.DISPUTED
    return render(
        request,
        "aftersales/platform/queue.html",
        {
            "requests": selectors.platform_queue(status=status)[:200],
            "status": status,
            "statuses": Status.choices,
        },
    )


@platform_staff
def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    item = selectors.platform_request(request_id)
    if item is None:
        raise Http404("No such request.")
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.arbitrate(
                    staff=request.user,
                    request_id=request_id,
                    outcome=form.cleaned_data["outcome"],
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Decision recorded and executed."))
                return redirect("aftersales:platform_decide", request_id)
        status = 400
    return render(request, "aftersales/platform/decide.html", {"item": item, "form": form}, status=status)
