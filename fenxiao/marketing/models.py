"""Marketing tools: coupons, full-reduction promotions, flash sales, group buying, and the record
of every discount given per order line.

Rules the database enforces: a coupon is never claimed beyond its quantity; a flash sale never
sells beyond its quantity and a member never beyond its limit (a counter row per member with a
CHECK); one seat per consumer per group; one discount row per (line, tool).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Sku

User = settings.AUTH_USER_MODEL


class Scheduled(models.Model):
    """A tool with a time window that the brand may pause."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    paused = models.BooleanField(_("paused"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    def is_live(self, now) -> bool:
        return not self.paused and self.starts_at <= now < self.ends_at

    def state(self, now) -> str:
        if self.paused:
            return "paused"
        if now < self.starts_at:
            return "scheduled"
        if now >= self.ends_at:
            return "ended"
        return "live"


class CouponKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount off")
    PERCENT = "percent", _("Percent off (with a cap)")
    THRESHOLD = "threshold", _("Spend a threshold, get an amount off (满减)")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    LEVEL = "level", _("A member level")
    SEGMENT = "segment", _("A member segment")


class Coupon(Scheduled):
    """A coupon template.  ``starts_at``/``ends_at`` is when it can be claimed and, unless
    ``valid_days`` is set, also when a claimed coupon can be used."""

    kind = models.CharField(_("kind"), max_length=10, choices=CouponKind.choices)
    amount = models.PositiveIntegerField(_("amount off (fen)"), default=0)
    percent_bps = models.PositiveIntegerField(_("percent off (basis points)"), default=0)
    cap = models.PositiveIntegerField(_("at most (fen, 0 = no cap)"), default=0)
    threshold = models.PositiveIntegerField(_("minimum spend (fen)"), default=0)
    valid_days = models.PositiveIntegerField(_("valid for days after claim (0 = the window)"), default=0)
    total_quantity = models.PositiveIntegerField(_("quantity"))
    claimed_count = models.PositiveIntegerField(default=0)
    used_count = models.PositiveIntegerField(default=0)
    per_member_limit = models.PositiveIntegerField(_("per member"), default=1)
    product_ids = models.JSONField(_("products (empty = all)"), default=list, blank=True)
    category_ids = models.JSONField(_("categories (empty = all)"), default=list, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.EVERYONE
    )
    level = models.ForeignKey(
        "crm.MemberLevel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    segment = models.ForeignKey(
        "crm.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimable = models.BooleanField(_("members can claim it in the shop"), default=True)
    stackable = models.BooleanField(_("can be combined with other stackable coupons"), default=False)

    class Meta(Scheduled.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_count__lte=F("total_quantity")), name="mkt_coupon_within_quantity"
            ),
            models.CheckConstraint(condition=Q(percent_bps__lte=10000), name="mkt_coupon_percent_max"),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="mkt_coupon_limit_positive"),
        ]

    @property
    def percent_text(self) -> str:
        """1000 basis points → "10%"."""
        return f"{self.percent_bps / 100:g}%"


class MemberCouponStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    USED = "used", _("Used")


class MemberCoupon(models.Model):
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="claims")
    consumer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coupons")
    status = models.CharField(
        max_length=10, choices=MemberCouponStatus.choices, default=MemberCouponStatus.AVAILABLE
    )
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    claimed_at = models.DateTimeField()
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order = models.ForeignKey(
        "trade.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["valid_until", "id"]
        indexes = [models.Index(fields=["consumer", "status", "valid_until"], name="mkt_mycoupon")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=MemberCouponStatus.AVAILABLE, order__isnull=True)
                | Q(status=MemberCouponStatus.USED, order__isnull=False),
                name="mkt_coupon_used_has_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.coupon} → {self.consumer_id}"


class Promotion(Scheduled):
    """Full reduction: ``tiers`` is a list of [threshold fen, amount off fen], the highest tier
    reached applies to the chosen products' total (all products when ``product_ids`` is empty)."""

    tiers = models.JSONField(_("tiers"), default=list)
    product_ids = models.JSONField(_("products (empty = all)"), default=list, blank=True)
    used_count = models.PositiveIntegerField(default=0)


class FlashSale(Scheduled):
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    price = models.PositiveIntegerField(_("flash price (fen)"))
    quantity = models.PositiveIntegerField(_("quantity"))
    sold = models.PositiveIntegerField(default=0)
    per_member_limit = models.PositiveIntegerField(_("per member"), default=1)
    unpaid_minutes = models.PositiveIntegerField(_("unpaid orders released after (minutes)"), default=5)

    class Meta(Scheduled.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(sold__lte=F("quantity")), name="mkt_flash_within_quantity"),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="mkt_flash_limit_positive"),
            models.CheckConstraint(condition=Q(unpaid_minutes__gte=1), name="mkt_flash_timeout_positive"),
        ]
        indexes = [models.Index(fields=["sku", "ends_at"], name="mkt_flash_sku")]


class FlashQuota(models.Model):
    """How many units of a sale one consumer holds (a unique row, updated conditionally)."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="quotas")
    consumer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    bought = models.PositiveIntegerField(default=0)
    limit = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "consumer"], name="mkt_flash_quota_unique"),
            models.CheckConstraint(condition=Q(bought__lte=F("limit")), name="mkt_flash_quota_within_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}:{self.consumer_id} {self.bought}/{self.limit}"


class FlashClaim(models.Model):
    """Units of a sale held by one order; released when the order is cancelled."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="claims")
    order = models.OneToOneField("trade.Order", on_delete=models.CASCADE, related_name="+")
    consumer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    released = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["released", "created_at"], name="mkt_flash_claim_open")]

    def __str__(self) -> str:
        return f"{self.sale_id} → order {self.order_id} ×{self.quantity}"


class GroupDeal(Scheduled):
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    price = models.PositiveIntegerField(_("group price (fen)"))
    size = models.PositiveIntegerField(_("group size"))
    hours = models.PositiveIntegerField(_("time limit (hours)"), default=24)

    class Meta(Scheduled.Meta):
        constraints = [models.CheckConstraint(condition=Q(size__gte=2), name="mkt_group_size_min")]


class GroupStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Group(models.Model):
    deal = models.ForeignKey(GroupDeal, on_delete=models.CASCADE, related_name="groups")
    leader = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=GroupStatus.choices, default=GroupStatus.OPEN)
    expires_at = models.DateTimeField()
    paid_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="mkt_group_open")]

    def __str__(self) -> str:
        return f"group {self.pk}"


class GroupSeat(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="seats")
    consumer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField("trade.Order", on_delete=models.CASCADE, related_name="+")
    paid = models.BooleanField(default=False)
    cancelled = models.BooleanField(default=False)
    joined_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "consumer"], condition=Q(cancelled=False), name="mkt_one_seat_per_consumer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.consumer_id}"


class LineDiscount(models.Model):
    """One tool's share of one order line's discount (member price, promotion, coupon, points …):
    the lines' ``discount`` is the sum of these rows."""

    order = models.ForeignKey("trade.Order", on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey("trade.OrderLine", on_delete=models.CASCADE, related_name="+")
    tool = models.CharField(max_length=30)
    reference = models.CharField(max_length=60, blank=True)
    amount = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["line", "tool"], name="mkt_one_discount_per_tool")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.tool} {self.amount}"
