"""After-sales requests (refund only, return and refund, exchange), their history, message
thread, photos, notifications and each brand's after-sales policy.  Money is integer fen."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand


class AftersalesPolicy(models.Model):
    """A brand's deadlines, inside the platform's limits (``aftersales.conf``)."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="aftersales_policy")
    response_days = models.PositiveSmallIntegerField(_("days to answer a request"))
    return_days = models.PositiveSmallIntegerField(_("days for the consumer to ship goods back"))
    window_days = models.PositiveSmallIntegerField(_("days after completion a request may be opened"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(response_days__gte=1, return_days__gte=1, window_days__gte=1),
                name="aftersales_policy_days_positive",
            )
        ]

    def __str__(self) -> str:
        return f"after-sales policy of {self.brand_id}"


class Kind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_REFUND = "return_refund", _("Return and refund")
    EXCHANGE = "exchange", _("Exchange")


class Reason(models.TextChoices):
    NOT_RECEIVED = "not_received", _("Not received")
    DAMAGED = "damaged", _("Damaged or defective")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    WRONG_ITEM = "wrong_item", _("Wrong item or size")
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the brand")
    APPROVED = "approved", _("Approved: ship the goods back")
    RETURN_SHIPPED = "return_shipped", _("Goods on their way back")
    RETURN_RECEIVED = "return_received", _("Goods received: exchange pending")
    REFUNDING = "refunding", _("Refund in progress")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchange shipped")
    REJECTED = "rejected", _("Rejected by the brand")
    DISPUTED = "disputed", _("In platform arbitration")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = [
    Status.REQUESTED,
    Status.APPROVED,
    Status.RETURN_SHIPPED,
    Status.RETURN_RECEIVED,
    Status.REFUNDING,
    Status.REJECTED,
    Status.DISPUTED,
]
FINAL_STATUSES = [Status.REFUNDED, Status.EXCHANGED, Status.CLOSED]


def new_request_no() -> str:
    return "AS" + timezone.now().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**6):06d}"


class AftersaleRequest(models.Model):
    request_no = models.CharField(max_length=24, unique=True, editable=False)
    order = models.ForeignKey("trade.Order", on_delete=models.PROTECT, related_name="aftersale_requests")
    line = models.ForeignKey(
        "trade.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aftersale_requests",
        help_text="empty: the whole order",
    )
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="aftersale_requests")
    consumer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=0, help_text="units of the line; 0: all")
    amount = models.PositiveIntegerField(_("amount requested (fen)"))
    approved_amount = models.PositiveIntegerField(default=0, help_text="what is being refunded, fen")
    refunded_amount = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    due_at = models.DateTimeField(null=True, blank=True, help_text="the deadline of the current step")
    return_carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    return_tracking_no = models.CharField(_("tracking number"), max_length=40, blank=True)
    exchange_carrier = models.CharField(max_length=40, blank=True)
    exchange_tracking_no = models.CharField(max_length=40, blank=True)
    refund = models.ForeignKey(
        "payments.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund_attempts = models.PositiveSmallIntegerField(default=0)
    stock_returned = models.BooleanField(default=False)
    restocked = models.JSONField(
        default=dict, blank=True, help_text="refund only before shipping: {line id: units not to ship}"
    )
    decision = models.CharField(max_length=200, blank=True, help_text="last decision's note")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["brand", "status", "due_at"], name="aftersale_brand_queue"),
            models.Index(fields=["status", "due_at"], name="aftersale_status_due"),
            models.Index(fields=["consumer", "-id"], name="aftersale_consumer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(line__isnull=False, status__in=OPEN_STATUSES),
                name="aftersale_one_open_request_per_line",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(line__isnull=True, status__in=OPEN_STATUSES),
                name="aftersale_one_open_whole_order_request",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="aftersale_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__lte=F("amount")), name="aftersale_approved_within_requested"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("approved_amount")),
                name="aftersale_refunded_within_approved",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in Kind]), name="aftersale_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return self.request_no

    def save(self, *args, **kwargs):
        if not self.request_no:
            self.request_no = new_request_no()
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def needs_return(self) -> bool:
        return self.kind in (Kind.RETURN_REFUND, Kind.EXCHANGE)


class Transition(models.Model):
    request = models.ForeignKey(AftersaleRequest, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=20, help_text="consumer / brand / platform / system")
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"

    @property
    def to_label(self) -> str:
        return Status(self.to_status).label

    @property
    def actor_display(self) -> str:
        labels = {
            "consumer": _("Consumer"),
            "brand": _("Brand customer service"),
            "platform": _("Platform"),
            "system": _("System"),
            "payment": _("Payment"),
        }
        return str(labels.get(self.actor_label, self.actor_label))


class Side(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    BRAND = "brand", _("Brand customer service")
    PLATFORM = "platform", _("Platform")
    SYSTEM = "system", _("System")


class Message(models.Model):
    request = models.ForeignKey(AftersaleRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.side}: {self.body[:30]}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"aftersales/{instance.request_id}/{filename}"


class Evidence(models.Model):
    """A photo of the request (message is empty) or of a message.  Served only to the parties."""

    request = models.ForeignKey(AftersaleRequest, on_delete=models.CASCADE, related_name="photos")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    image = models.FileField(upload_to=evidence_path)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class Notification(models.Model):
    """An in-app notice: to a person (the consumer) or to a brand's customer service."""

    request = models.ForeignKey(AftersaleRequest, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, brand__isnull=True)
                | Q(user__isnull=True, brand__isnull=False),
                name="aftersale_notice_one_recipient",
            )
        ]

    def __str__(self) -> str:
        return self.text
