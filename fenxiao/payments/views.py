from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .gateways.sandbox import provider_pay
from .models import Payment, PaymentStatus, SandboxTransaction


def _own_payment(request: HttpRequest, out_trade_no: str) -> Payment:
    payment = Payment.objects.filter(out_trade_no=out_trade_no, payer=request.user).first()
    if payment is None:
        raise Http404("No such payment.")
    return payment


@login_required
def pay(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """Start paying: the gateway says where the consumer goes (the sandbox cashier, a QR code, …)."""
    payment = _own_payment(request, out_trade_no)
    if payment.status != PaymentStatus.PENDING:
        return redirect("payments:result", payment.out_trade_no)
    action = services.start_payment(
        payment,
        return_url=reverse("payments:result", args=[payment.out_trade_no]),
        notify_url=request.build_absolute_uri(reverse("payments:notify", args=[payment.gateway])),
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return redirect(action.redirect_url)


@login_required
def result(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    payment = _own_payment(request, out_trade_no)
    if payment.status == PaymentStatus.PENDING:
        payment = services.query_and_apply(payment)
    return render(request, "payments/result.html", {"payment": payment})


@csrf_exempt
@require_POST
def notify(request: HttpRequest, gateway: str) -> HttpResponse:
    """The provider's server-to-server notification (signed; verified before anything is believed)."""
    try:
        status, body, content_type = services.handle_notification(gateway, request.headers, request.body)
    except LookupError as exc:
        raise Http404("Unknown gateway.") from exc
    return HttpResponse(body, status=status, content_type=content_type)


def sandbox_cashier(request: HttpRequest, token: str) -> HttpResponse:
    """The sandbox provider's own page, standing in for WeChat Pay's cashier."""
    txn = get_object_or_404(SandboxTransaction, token=token)
    if request.method == "POST":
        txn = provider_pay(txn, succeed=request.POST.get("outcome") != "fail")
        back = (
            txn.return_url if url_has_allowed_host_and_scheme(txn.return_url, {request.get_host()}) else "/"
        )
        return redirect(back)
    return render(request, "payments/sandbox_cashier.html", {"txn": txn})
