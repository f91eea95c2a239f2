"""WeChat endpoints: the Official Account's server URL, OAuth web sign-in, and the console's
account settings and distributor QR codes."""

from __future__ import annotations

import secrets as pysecrets
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.models import Brand
from fenxiao.accounts.roles import Perm
from fenxiao.web.redirects import safe_next

from . import wechat
from .models import DistributorQrCode, Fan

BACKEND = "fenxiao.accounts.backends.PhoneOrEmailBackend"
SESSION_STATE = "crm_wechat_oauth"
SESSION_PENDING = "crm_wechat_pending"


def _config_or_404(brand_id: int) -> wechat.AccountConfig:
    config = wechat.config_for(brand_id)
    if config is None or not config.token:
        raise Http404
    return config


@csrf_exempt
@require_http_methods(["GET", "POST"])
def server(request: HttpRequest, brand_id: int) -> HttpResponse:
    """The URL configured as the Official Account's server: GET echoes ``echostr`` after the
    signature check; POST carries messages and events (plain or AES-encrypted XML)."""
    config = _config_or_404(brand_id)
    params = request.GET.dict()
    try:
        if request.method == "GET":
            wechat.verify(
                config,
                signature=params.get("signature", ""),
                timestamp=params.get("timestamp", ""),
                nonce=params.get("nonce", ""),
                record=False,
            )
            return HttpResponse(params.get("echostr", ""), content_type="text/plain")
        body = wechat.handle_message(config, params, request.body)
    except wechat.WechatError as exc:
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain")
    content_type = "text/plain" if body == "success" else "application/xml"
    return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")


def oauth_start(request: HttpRequest, brand_id: int) -> HttpResponse:
    """Send the consumer to WeChat's authorize page (``scope`` snsapi_base or snsapi_userinfo)."""
    config = _config_or_404(brand_id)
    scope = request.GET.get("scope", "snsapi_base")
    if scope not in {"snsapi_base", "snsapi_userinfo"}:
        return HttpResponseBadRequest(_("Unknown sign-in scope."))
    state = pysecrets.token_urlsafe(16)
    request.session[SESSION_STATE] = {
        "state": state,
        "scope": scope,
        "brand_id": brand_id,
        "next": safe_next(request, reverse("crm:member_centre", args=[brand_id])),
    }
    callback = request.build_absolute_uri(reverse("crm:wechat_oauth_callback", args=[brand_id]))
    return redirect(wechat.oauth_for(config, redirect_uri=callback, scope=scope, state=state).authorize_url)


def oauth_callback(request: HttpRequest, brand_id: int) -> HttpResponse:
    config = _config_or_404(brand_id)
    started = request.session.pop(SESSION_STATE, None)
    code = request.GET.get("code", "")
    if not started or started.get("brand_id") != brand_id or request.GET.get("state") != started["state"]:
        return HttpResponseBadRequest(_("This sign-in link has expired. Please try again."))
    if not code:
        return HttpResponseBadRequest(_("WeChat sign-in was cancelled."))
    try:
        info = wechat.oauth_exchange(config, code=code, scope=started["scope"])
    except wechat.WechatError as exc:
        return HttpResponseBadRequest(str(exc))
    if request.user.is_authenticated:
        try:
            wechat.link_openid(brand_id=brand_id, user=request.user, **info)
        except wechat.WechatError as exc:
            return HttpResponse(str(exc), status=exc.status)
        return redirect(started["next"])
    user = wechat.fan_user(brand_id, info["openid"])
    if user is not None:
        login(request, user, backend=BACKEND)
        return redirect(started["next"])
    request.session[SESSION_PENDING] = {"brand_id": brand_id, **info, "next": started["next"]}
    link = reverse("crm:wechat_oauth_link", args=[brand_id])
    return redirect(f"{reverse('accounts:signin')}?{urlencode({'next': link})}")


@login_required
def oauth_link(request: HttpRequest, brand_id: int) -> HttpResponse:
    """After signing in (or up), attach the WeChat identity kept in the session."""
    pending = request.session.get(SESSION_PENDING)
    if not pending or pending.get("brand_id") != brand_id:
        return redirect("crm:member_centre", brand_id)
    if request.method != "POST":
        return render(request, "crm/wechat_link.html", {"brand_id": brand_id, "pending": pending})
    request.session.pop(SESSION_PENDING, None)
    try:
        wechat.link_openid(
            brand_id=brand_id,
            user=request.user,
            openid=pending["openid"],
            unionid=pending.get("unionid", ""),
            nickname=pending.get("nickname", ""),
        )
    except wechat.WechatError as exc:
        return HttpResponse(str(exc), status=exc.status)
    messages.success(request, _("Your WeChat account is linked."))
    return redirect(pending["next"])


class AccountForm(forms.Form):
    appid = forms.CharField(label="AppID", max_length=32)
    secret = forms.CharField(
        label="AppSecret",
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Blank keeps the stored one."),
    )
    token = forms.CharField(label="Token", required=False, max_length=32, widget=forms.PasswordInput)
    aes_key = forms.CharField(
        label="EncodingAESKey", required=False, max_length=43, widget=forms.PasswordInput
    )


@brand_console(Perm.SETTINGS_MANAGE)
def settings_page(request: HttpRequest, brand_id: int) -> HttpResponse:
    config = wechat.config_for(brand_id)
    form = AccountForm(request.POST or None, initial={"appid": config.appid if config else ""})
    if request.method == "POST" and form.is_valid():
        try:
            wechat.save_account(actor=request.brand_staff, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("WeChat Official Account saved."))
            return redirect("console:crm_wechat", brand_id)
    fans = Fan.objects.filter(brand_id=brand_id)
    return render(
        request,
        "crm/console/wechat.html",
        {
            "brand": request.brand,
            "form": form,
            "server_url": request.build_absolute_uri(reverse("crm:wechat_server", args=[brand_id])),
            "fans": fans.filter(subscribed=True).count(),
            "qrcodes": DistributorQrCode.objects.filter(brand_id=brand_id).select_related("distributor")[
                :200
            ],
        },
        status=400 if form.errors else 200,
    )


@brand_console(Perm.DISTRIBUTION_MANAGE)
@require_POST
def distributor_qrcode(request: HttpRequest, brand_id: int) -> HttpResponse:
    raw = request.POST.get("distributor", "")
    try:
        wechat.distributor_qrcode(brand_id=brand_id, distributor_id=int(raw) if raw.isdigit() else 0)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("QR code created."))
    return redirect("console:crm_wechat", brand_id)


def brand_or_404(brand_id: int) -> Brand:
    brand = accounts_selectors.approved_brand(brand_id)
    if brand is None:
        raise Http404
    return brand
