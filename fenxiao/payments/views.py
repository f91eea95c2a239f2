from __future__ import annotations

import logging

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fenxiao.accounts.throttling import client_ip

from . import services
from .gateways.base import GatewayError
from .gateways.sandbox import provider_pay
from .models import Payment, PaymentStatus, SandboxTransaction, WechatIdentity

log = logging.getLogger("fenxiao.payments")
SCENES = {"jsapi", "h5", "native"}


def _own_payment(request: HttpRequest, out_trade_no: str) -> Payment:
    payment = Payment.objects.filter(out_trade_no=out_trade_no, payer=request.user).first()
    if payment is None:
        raise Http404("No such payment.")
    return payment


def _scene(request: HttpRequest, payment: Payment) -> str:
    """JSAPI inside WeChat (when we know the payer's openid), H5 in a phone browser, else Native (QR)."""
    asked = request.GET.get("scene", "")
    if asked in SCENES:
        return asked
    agent = request.headers.get("User-Agent", "")
    if "MicroMessenger" in agent and WechatIdentity.objects.filter(user=payment.payer).exists():
        return "jsapi"
    if any(word in agent for word in ("Mobile", "Android", "iPhone")):
        return "h5"
    return "native"


@login_required
def pay(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """Start paying: the gateway says what comes next (a cashier page, a QR code, a JSAPI call)."""
    payment = _own_payment(request, out_trade_no)
    if payment.status != PaymentStatus.PENDING:
        return redirect("payments:result", payment.out_trade_no)
    result_url = request.build_absolute_uri(reverse("payments:result", args=[payment.out_trade_no]))
    try:
        action = services.start_payment(
            payment,
            return_url=result_url,
            notify_url=request.build_absolute_uri(reverse("payments:notify", args=[payment.gateway])),
            client_ip=client_ip(request) or "",  # the payer, also behind a trusted proxy
            scene=_scene(request, payment),
        )
    except GatewayError as exc:
        log.warning("could not start payment %s: %s", payment.out_trade_no, exc)
        return render(request, "payments/unavailable.html", {"payment": payment}, status=503)
    if action.redirect_url:
        return redirect(action.redirect_url)
    context = {"payment": payment, "result_url": result_url}
    if action.jsapi_params:
        return render(request, "payments/jsapi.html", dict(context, jsapi_params=action.jsapi_params))
    qr = segno.make(action.qr_text, error="m")
    context.update(
        code_url=action.qr_text, qr_svg=qr.svg_inline(scale=5), test_scan_url=_test_scan_url(payment)
    )
    return render(request, "payments/native.html", context)


def _test_scan_url(payment: Payment) -> str:
    """With a test provider (not api.mch.weixin.qq.com), a link standing in for the payer's phone."""
    payment.refresh_from_db(fields=["merchant"])
    base = payment.merchant.api_base_url if payment.merchant else ""
    if not base or "weixin.qq.com" in base:
        return ""
    return base.rstrip("/") + "/scan/"


@login_required
def result(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    payment = _own_payment(request, out_trade_no)
    if payment.status == PaymentStatus.PENDING:
        try:
            payment = services.query_and_apply(payment)
        except GatewayError as exc:  # the page refreshes itself; the notification may still come
            log.warning("could not query payment %s: %s", payment.out_trade_no, exc)
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
