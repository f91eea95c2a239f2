"""API apps, their keys, rate-limit windows, idempotency records, the audit log and webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand


class ApiApp(models.Model):
    """A brand's integration (ERP, warehouse, CRM).  The key is stored as prefix + SHA-256 only."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="api_apps")
    name = models.CharField(_("name"), max_length=60)
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=120)
    key_prefix = models.CharField(max_length=20, unique=True)
    key_hash = models.CharField(max_length=64)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_app"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API app")
        verbose_name_plural = _("API apps")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1), name="api_app_rate_limit_positive"
            ),
            models.UniqueConstraint(fields=["brand", "name"], name="api_app_name_unique_per_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.brand})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RateWindow(models.Model):
    """Requests of one app in one fixed one-minute window (shared by every process)."""

    app = models.ForeignKey(ApiApp, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "window_start"], name="rate_window_unique")]

    def __str__(self) -> str:
        return f"{self.app_id} {self.window_start:%H:%M} {self.count}"


class IdempotencyRecord(models.Model):
    """The first response to a write with an ``Idempotency-Key``, replayed for the same key."""

    app = models.ForeignKey(ApiApp, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "key"], name="idempotency_key_unique_per_app")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.app_id} {self.key}"


class ApiAuditEntry(models.Model):
    """One write request made through the API.  Never changed or deleted by the application."""

    app = models.ForeignKey(ApiApp, on_delete=models.PROTECT, related_name="audit_entries")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=200, blank=True)
    replayed = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("API audit entry")
        verbose_name_plural = _("API audit log")
        indexes = [models.Index(fields=["brand", "-at"], name="api_audit_brand_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("audit entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit entries are immutable")


class WebhookSubscription(models.Model):
    app = models.ForeignKey(ApiApp, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    topics = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80, help_text="signing secret (needed in clear to sign)")
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (webhook disabled)")


class WebhookDelivery(models.Model):
    """One event for one subscription.  The body is fixed when the delivery is created, so every
    attempt sends the same bytes."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.PositiveBigIntegerField()
    topic = models.CharField(max_length=100)
    aggregate = models.CharField(max_length=100, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=Q(resend_of__isnull=True),
                name="one_delivery_per_event_per_subscription",
            )
        ]
        indexes = [models.Index(fields=["subscription", "-id"], name="webhook_delivery_recent")]

    def __str__(self) -> str:
        return f"{self.topic} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code}"
