"""Pages of SMS codes: sending a code (sign-up, sign-in) and signing in with one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.web.redirects import safe_next

from . import throttling
from .forms import SmsSignInForm
from .models import SmsPurpose
from .sms.base import SmsSendError
from .sms.codes import RESEND_AFTER, TTL, SmsLimited, send_code

PAGE_OF_PURPOSE = {SmsPurpose.SIGNUP: "accounts:signup", SmsPurpose.SIGNIN: "accounts:signin_sms"}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def sms_send(request: HttpRequest) -> HttpResponse:
    """Send a code to ``phone`` for ``purpose``.

    With ``Accept: application/json`` (the page's script) the answer is JSON: 200, 400 (bad
    number), 429 (a limit, with ``Retry-After``) or 502 (the provider failed).  Without script the
    browser is sent back to the page it came from, the number filled in, with a message.
    """
    phone = request.POST.get("phone", "").strip()[:20]
    purpose = request.POST.get("purpose", "")
    purpose = purpose if purpose in SmsPurpose.values else SmsPurpose.SIGNUP
    status, retry_after = 200, None
    try:
        send_code(phone=phone, purpose=purpose, ip=throttling.client_ip(request))
    except SmsLimited as exc:
        status, message, retry_after = 429, exc.messages[0], exc.retry_after
    except ValidationError as exc:
        status, message = 400, " ".join(exc.messages)
    except SmsSendError:
        status, message = 502, _("The SMS could not be sent. Try again in a minute.")
    else:
        message = _("Code sent. It is valid for %(minutes)d minutes.") % {
            "minutes": TTL.total_seconds() // 60
        }
        retry_after = int(RESEND_AFTER.total_seconds())
    if _wants_json(request):
        body = {"sent": status == 200, "message": message, "retry_after": retry_after}
        response = JsonResponse(body, status=status)
        if status == 429:
            response["Retry-After"] = str(retry_after)
        return response
    (messages.success if status == 200 else messages.error)(request, message)
    query = {"phone": phone} | (
        {"next": safe_next(request, default="")} if safe_next(request, default="") else {}
    )
    return redirect(f"{reverse(PAGE_OF_PURPOSE[purpose])}?{urlencode(query)}")


def signin_sms(request: HttpRequest) -> HttpResponse:
    from .views import BACKEND, _landing

    form = SmsSignInForm(request.POST or None, initial={"phone": request.GET.get("phone", "")[:11]})
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend=BACKEND)
        return redirect(safe_next(request, default="") or _landing(form.user))
    return render(
        request,
        "accounts/signin_sms.html",
        {"form": form, "next": safe_next(request, default="")},
        status=400 if form.errors else 200,
    )
