"""Brand console: API apps (create, edit scopes and rate limit, rotate, revoke, audit log) and
their webhooks (create, enable/disable, delete, delivery log, re-send).  Thin: writes go through
:mod:`.services`, which check the role (settings.manage) and the brand."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm

from . import services
from .forms import AppForm, WebhookForm
from .models import ApiApp, ApiAuditEntry, WebhookDelivery, WebhookSubscription


def _app(brand_id: int, app_id: int) -> ApiApp:
    app = ApiApp.objects.filter(pk=app_id, brand_id=brand_id).first()
    if app is None:
        raise Http404("No such app in this brand.")
    return app


def _webhook(brand_id: int, webhook_id: int) -> WebhookSubscription:
    hook = (
        WebhookSubscription.objects.select_related("app")
        .filter(pk=webhook_id, app__brand_id=brand_id)
        .first()
    )
    if hook is None:
        raise Http404("No such webhook in this brand.")
    return hook


def _notices(brand_id: int):
    return WebhookSubscription.objects.filter(
        app__brand_id=brand_id, is_active=False, app__revoked_at__isnull=True
    ).exclude(disabled_reason="")


@brand_console(Perm.SETTINGS_MANAGE)
def app_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app, raw = services.create_app(
                actor=request.brand_staff,
                name=form.cleaned_data["name"],
                scope_list=form.cleaned_data["scopes"],
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(
                request, "openapi/key_once.html", {"brand": request.brand, "app": app, "raw_key": raw}
            )
    apps = ApiApp.objects.filter(brand_id=brand_id).order_by("-created_at")
    return render(
        request,
        "openapi/app_list.html",
        {"brand": request.brand, "apps": apps, "form": form, "notices": _notices(brand_id)},
        status=400 if form.errors else 200,
    )


@brand_console(Perm.SETTINGS_MANAGE)
def app_detail(request: HttpRequest, brand_id: int, app_id: int) -> HttpResponse:
    app = _app(brand_id, app_id)
    form = AppForm(
        request.POST or None,
        initial={"name": app.name, "scopes": app.scopes, "rate_limit_per_minute": app.rate_limit_per_minute},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_app(
                actor=request.brand_staff,
                app_id=app.pk,
                name=form.cleaned_data["name"],
                scope_list=form.cleaned_data["scopes"],
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("App saved."))
            return redirect("console:api_app", brand_id, app.pk)
    return render(
        request,
        "openapi/app_detail.html",
        {
            "brand": request.brand,
            "app": app,
            "form": form,
            "webhook_form": WebhookForm(),
            "webhooks": app.webhooks.order_by("pk"),
            "audit": ApiAuditEntry.objects.filter(app=app).order_by("-at", "-id")[:50],
        },
        status=400 if form.errors else 200,
    )


@require_POST
@brand_console(Perm.SETTINGS_MANAGE)
def app_rotate(request: HttpRequest, brand_id: int, app_id: int) -> HttpResponse:
    app = _app(brand_id, app_id)
    try:
        app, raw = services.rotate_key(actor=request.brand_staff, app_id=app.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:api_app", brand_id, app.pk)
    return render(request, "openapi/key_once.html", {"brand": request.brand, "app": app, "raw_key": raw})


@require_POST
@brand_console(Perm.SETTINGS_MANAGE)
def app_revoke(request: HttpRequest, brand_id: int, app_id: int) -> HttpResponse:
    app = _app(brand_id, app_id)
    services.revoke_app(actor=request.brand_staff, app_id=app.pk)
    messages.success(request, _("The app is revoked; its key no longer works."))
    return redirect("console:api_app", brand_id, app.pk)


@require_POST
@brand_console(Perm.SETTINGS_MANAGE)
def webhook_create(request: HttpRequest, brand_id: int, app_id: int) -> HttpResponse:
    app = _app(brand_id, app_id)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            hook = services.create_webhook(actor=request.brand_staff, app_id=app.pk, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Webhook added."))
            return redirect("console:webhook", brand_id, hook.pk)
    return render(
        request,
        "openapi/app_detail.html",
        {
            "brand": request.brand,
            "app": app,
            "form": AppForm(
                initial={
                    "name": app.name,
                    "scopes": app.scopes,
                    "rate_limit_per_minute": app.rate_limit_per_minute,
                }
            ),
            "webhook_form": form,
            "webhooks": app.webhooks.order_by("pk"),
            "audit": ApiAuditEntry.objects.filter(app=app).order_by("-at", "-id")[:50],
        },
        status=400,
    )


@brand_console(Perm.SETTINGS_MANAGE)
def webhook_detail(request: HttpRequest, brand_id: int, webhook_id: int) -> HttpResponse:
    hook = _webhook(brand_id, webhook_id)
    deliveries = hook.deliveries.order_by("-id").prefetch_related("attempt_log")[:50]
    return render(
        request,
        "openapi/webhook_detail.html",
        {"brand": request.brand, "hook": hook, "deliveries": deliveries},
    )


@require_POST
@brand_console(Perm.SETTINGS_MANAGE)
def webhook_toggle(request: HttpRequest, brand_id: int, webhook_id: int) -> HttpResponse:
    hook = _webhook(brand_id, webhook_id)
    try:
        services.set_webhook_active(actor=request.brand_staff, webhook_id=hook.pk, active=not hook.is_active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console:webhook", brand_id, hook.pk)


@require_POST
@brand_console(Perm.SETTINGS_MANAGE)
def webhook_delete(request: HttpRequest, brand_id: int, webhook_id: int) -> HttpResponse:
    hook = _webhook(brand_id, webhook_id)
    services.delete_webhook(actor=request.brand_staff, webhook_id=hook.pk)
    messages.success(request, _("Webhook deleted."))
    return redirect("console:api_app", brand_id, hook.app_id)


@require_POST
@brand_console(Perm.SETTINGS_MANAGE)
def delivery_resend(request: HttpRequest, brand_id: int, delivery_id: int) -> HttpResponse:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, subscription__app__brand_id=brand_id).first()
    if delivery is None:
        raise Http404("No such delivery in this brand.")
    try:
        services.resend_delivery(actor=request.brand_staff, delivery_id=delivery.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The event will be sent again."))
    return redirect("console:webhook", brand_id, delivery.subscription_id)
