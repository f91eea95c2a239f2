"""Console writes for API apps and webhooks.  Each checks the actor's role (settings.manage) and
that the object is of the actor's brand, and runs in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff, User
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock
from fenxiao.core.jobs import enqueue

from . import keys, scopes
from .addresses import is_public_url
from .models import ApiApp, DeliveryStatus, WebhookDelivery, WebhookSubscription
from .topics import TOPICS

MAX_RATE_LIMIT = 6000


def _require(actor: BrandStaff) -> None:
    if not actor.can(Perm.SETTINGS_MANAGE):
        raise PermissionDenied(
            _("Your role (%(role)s) may not do this.") % {"role": actor.get_role_display()}
        )


def _clean_scopes(values: Iterable[str]) -> list[str]:
    try:
        return scopes.normalise(values)
    except ValueError as exc:
        raise ValidationError(_("Unknown scope: %(scope)s") % {"scope": exc.args[0]}) from exc


def _clean_rate(rate: int) -> int:
    if not 1 <= rate <= MAX_RATE_LIMIT:
        raise ValidationError(
            _("The rate limit must be between 1 and %(max)d a minute.") % {"max": MAX_RATE_LIMIT}
        )
    return rate


def _clean_name(actor: BrandStaff, name: str, exclude: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the app a name."))
    if ApiApp.objects.filter(brand_id=actor.brand_id, name=name).exclude(pk=exclude).exists():
        raise ValidationError(_("Another app of this brand is already called “%(name)s”.") % {"name": name})
    return name[:60]


def get_app(actor: BrandStaff, app_id: int, *, lock: bool = False) -> ApiApp:
    query = ApiApp.objects.filter(pk=app_id, brand_id=actor.brand_id)
    if lock:
        query = query.select_for_update()
    app = query.first()
    if app is None:
        raise ApiApp.DoesNotExist(_("No such app in this brand."))
    return app


@transaction.atomic
def create_app(
    *, actor: BrandStaff, name: str, scope_list: Iterable[str], rate_limit_per_minute: int = 120
) -> tuple[ApiApp, str]:
    """The new app and its raw key — the only time the key exists outside the caller."""
    _require(actor)
    name = _clean_name(actor, name)
    raw, prefix, digest = keys.new_key()
    service_user = User(
        email=f"api-{prefix}@apps.fenxiao.invalid", display_name=f"API: {name}"[:60], is_active=False
    )
    service_user.set_unusable_password()
    service_user.save()
    app = ApiApp.objects.create(
        brand_id=actor.brand_id,
        name=name,
        scopes=_clean_scopes(scope_list),
        rate_limit_per_minute=_clean_rate(rate_limit_per_minute),
        key_prefix=prefix,
        key_hash=digest,
        service_user=service_user,
        created_by=actor.user,
        created_at=clock.now(),
    )
    return app, raw


@transaction.atomic
def update_app(
    *, actor: BrandStaff, app_id: int, name: str, scope_list: Iterable[str], rate_limit_per_minute: int
) -> ApiApp:
    _require(actor)
    app = get_app(actor, app_id, lock=True)
    app.name = _clean_name(actor, name, exclude=app.pk)
    app.scopes = _clean_scopes(scope_list)
    app.rate_limit_per_minute = _clean_rate(rate_limit_per_minute)
    app.save(update_fields=["name", "scopes", "rate_limit_per_minute"])
    return app


@transaction.atomic
def rotate_key(*, actor: BrandStaff, app_id: int) -> tuple[ApiApp, str]:
    """A new key; the old one stops working at once."""
    _require(actor)
    app = get_app(actor, app_id, lock=True)
    if not app.is_active:
        raise ValidationError(_("This app is revoked."))
    raw, app.key_prefix, app.key_hash = keys.new_key()
    app.rotated_at = clock.now()
    app.save(update_fields=["key_prefix", "key_hash", "rotated_at"])
    return app, raw


@transaction.atomic
def revoke_app(*, actor: BrandStaff, app_id: int) -> ApiApp:
    _require(actor)
    app = get_app(actor, app_id, lock=True)
    if app.revoked_at is None:
        app.revoked_at = clock.now()
        app.save(update_fields=["revoked_at"])
        app.webhooks.filter(is_active=True).update(
            is_active=False, disabled_at=app.revoked_at, disabled_reason=_("The app was revoked.")
        )
    return app


def _clean_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Give an http:// or https:// address."))
    if not is_public_url(url):
        raise ValidationError(_("The receiver must be a public internet address."))
    return url


def _clean_topics(topics: Iterable[str]) -> list[str]:
    chosen = sorted({t for t in topics})
    unknown = [t for t in chosen if t not in TOPICS]
    if unknown:
        raise ValidationError(_("Unknown event: %(topic)s") % {"topic": unknown[0]})
    if not chosen:
        raise ValidationError(_("Choose at least one event."))
    return chosen


@transaction.atomic
def create_webhook(*, actor: BrandStaff, app_id: int, url: str, topics: Iterable[str]) -> WebhookSubscription:
    _require(actor)
    app = get_app(actor, app_id)
    if not app.is_active:
        raise ValidationError(_("This app is revoked."))
    return WebhookSubscription.objects.create(
        app=app,
        url=_clean_url(url),
        topics=_clean_topics(topics),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_at=clock.now(),
    )


def get_webhook(actor: BrandStaff, webhook_id: int) -> WebhookSubscription:
    hook = (
        WebhookSubscription.objects.select_related("app")
        .filter(pk=webhook_id, app__brand_id=actor.brand_id)
        .first()
    )
    if hook is None:
        raise WebhookSubscription.DoesNotExist(_("No such webhook in this brand."))
    return hook


@transaction.atomic
def set_webhook_active(*, actor: BrandStaff, webhook_id: int, active: bool) -> WebhookSubscription:
    _require(actor)
    hook = get_webhook(actor, webhook_id)
    if active and not hook.app.is_active:
        raise ValidationError(_("This app is revoked."))
    hook.is_active = active
    hook.disabled_at = None if active else clock.now()
    hook.disabled_reason = "" if active else _("Disabled by %(name)s.") % {"name": actor.user}
    hook.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    return hook


@transaction.atomic
def delete_webhook(*, actor: BrandStaff, webhook_id: int) -> None:
    _require(actor)
    get_webhook(actor, webhook_id).delete()


@transaction.atomic
def resend_delivery(*, actor: BrandStaff, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's event again (a new delivery with the same body), e.g. after fixing the
    receiver.  Ordered after anything still pending for the same resource."""
    from .webhooks import ordering_key, send_job_name

    _require(actor)
    original = (
        WebhookDelivery.objects.select_related("subscription__app")
        .filter(pk=delivery_id, subscription__app__brand_id=actor.brand_id)
        .first()
    )
    if original is None:
        raise WebhookDelivery.DoesNotExist(_("No such delivery in this brand."))
    if not original.subscription.is_active:
        raise ValidationError(_("Enable the webhook first."))
    if original.status == DeliveryStatus.PENDING:
        raise ValidationError(_("This delivery is still being retried."))
    copy = WebhookDelivery.objects.create(
        subscription=original.subscription,
        event_id=original.event_id,
        topic=original.topic,
        aggregate=original.aggregate,
        body=original.body,
        resend_of=original,
        created_at=clock.now(),
    )
    enqueue(send_job_name(), {"delivery_id": copy.pk}, ordering_key=ordering_key(copy))
    return copy
