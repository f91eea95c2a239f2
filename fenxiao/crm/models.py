"""Social CRM: a member per (brand, consumer), brand-defined levels, a points ledger, tags,
saved segments and WeChat Official Account fans.

Rules the database enforces: one member per (brand, consumer); a points balance is never negative;
points ledger rows are unique per (member, kind, reference) so a retried job never earns twice;
a level discount is at most 100%; one fan per (brand, openid).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand

User = settings.AUTH_USER_MODEL


class LoyaltySettings(models.Model):
    """A brand's points rules: earn rate, value of a point, redemption cap, calendar expiry."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="loyalty")
    points_per_yuan = models.PositiveIntegerField(_("points earned per yuan paid"), default=1)
    point_value_fen = models.PositiveIntegerField(_("value of one point (fen)"), default=1)
    redeem_cap_bps = models.PositiveIntegerField(
        _("points may pay at most (basis points of the goods)"), default=5000
    )
    expiry_years = models.PositiveIntegerField(
        _("points earned in year Y expire at the end of Y + (0 = never)"), default=1
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(redeem_cap_bps__lte=10000), name="crm_cap_at_most_100pct"),
            models.CheckConstraint(condition=Q(point_value_fen__gte=1), name="crm_point_value_positive"),
        ]

    def __str__(self) -> str:
        return f"loyalty of {self.brand_id}"


class MemberLevel(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="member_levels")
    name = models.CharField(_("name"), max_length=30)
    growth_threshold = models.PositiveIntegerField(_("reached at growth value"))
    discount_bps = models.PositiveIntegerField(_("member discount (basis points)"), default=0)
    free_shipping = models.BooleanField(_("free shipping"), default=False)

    class Meta:
        ordering = ["growth_threshold", "id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "name"], name="crm_level_name_unique"),
            models.UniqueConstraint(fields=["brand", "growth_threshold"], name="crm_level_threshold_unique"),
            models.CheckConstraint(condition=Q(discount_bps__lte=10000), name="crm_level_discount_le_100pct"),
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    LINK = "link", _("Share link")
    ORDER = "order", _("First order")
    WECHAT = "wechat", _("WeChat follow")
    MANUAL = "manual", _("Added by the brand")


class Tag(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="member_tags")
    name = models.CharField(_("tag"), max_length=30)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="crm_tag_unique")]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A brand's member.  ``consumer`` is empty only for a WeChat fan not yet signed in through
    OAuth; the fan's sign-in attaches the account."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="members")
    consumer = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    source_channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    source_distributor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="sourced_members"
    )
    source_campaign = models.CharField(_("campaign"), max_length=60, blank=True)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    order_count = models.PositiveIntegerField(default=0)
    total_paid = models.BigIntegerField(default=0, help_text="fen, net of refunds")
    growth = models.PositiveIntegerField(_("growth value"), default=0)
    level = models.ForeignKey(MemberLevel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    points_balance = models.IntegerField(default=0)
    points_expired_through = models.PositiveIntegerField(
        default=0, help_text="last calendar year whose points were expired"
    )
    tags = models.ManyToManyField(Tag, through="MemberTag", related_name="members", blank=True)
    notes = models.TextField(_("notes"), blank=True)
    rfm_r = models.PositiveSmallIntegerField(default=0)
    rfm_f = models.PositiveSmallIntegerField(default=0)
    rfm_m = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "consumer"], condition=Q(consumer__isnull=False), name="crm_one_member"
            ),
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="crm_points_not_negative"),
            models.CheckConstraint(condition=Q(total_paid__gte=0), name="crm_total_paid_not_negative"),
        ]
        indexes = [
            # lists are newest first by id (keyset pages): each filter's index ends with id
            models.Index(fields=["brand", "id"], name="crm_member_brand_id"),
            models.Index(fields=["brand", "level", "id"], name="crm_member_level_id"),
            # segment counts answered from the index alone (level + spend, spend + recency)
            models.Index(fields=["brand", "level", "total_paid"], name="crm_member_level_paid"),
            models.Index(fields=["brand", "source_distributor", "id"], name="crm_member_distributor_id"),
            models.Index(fields=["brand", "last_order_at"], name="crm_member_last_order"),
            models.Index(fields=["brand", "total_paid", "last_order_at"], name="crm_member_paid_recency"),
            models.Index(fields=["brand", "rfm_r", "rfm_f", "rfm_m"], name="crm_member_rfm"),
            models.Index(fields=["brand", "display_name"], name="crm_member_name"),
            models.Index(fields=["brand", "points_expired_through"], name="crm_member_expiry"),
        ]

    def __str__(self) -> str:
        return self.display_name or f"member {self.pk}"

    @property
    def rfm(self) -> str:
        return f"{self.rfm_r}{self.rfm_f}{self.rfm_m}"


class MemberTag(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "member"], name="crm_member_tag_unique")]
        indexes = [models.Index(fields=["member"], name="crm_membertag_member")]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.tag_id}"


class PointsKind(models.TextChoices):
    EARN = "earn", _("Earned on an order")
    REVERSE = "reverse", _("Reversed by a refund")
    REDEEM = "redeem", _("Redeemed at checkout")
    RESTORE = "restore", _("Restored: order cancelled")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted by the brand")


class PointsEntry(models.Model):
    """One immutable movement of a member's points; ``balance_after`` is written in the same
    transaction that updates :attr:`Member.points_balance`."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="points_entries")
    kind = models.CharField(max_length=8, choices=PointsKind.choices)
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    reference = models.CharField(max_length=60)
    order = models.ForeignKey(
        "trade.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    year = models.PositiveIntegerField(help_text="calendar year the points were earned in (expiry)")
    amount_fen = models.BigIntegerField(default=0, help_text="money the movement is based on")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "kind", "reference"], name="crm_points_once"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="crm_points_entry_not_negative"),
        ]
        indexes = [models.Index(fields=["member", "-at"], name="crm_points_member_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d}"

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            raise ValueError("points entries are immutable; write a new entry instead")
        super().save(*args, **kwargs)


class Segment(models.Model):
    """A saved audience: filters over members (see ``selectors.members_in_segment``)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=60)
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="crm_segment_unique")]

    def __str__(self) -> str:
        return self.name


class WechatAccount(models.Model):
    """A brand's WeChat Official Account.  Secrets are stored encrypted (``crm.secrets``)."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="wechat_account")
    appid = models.CharField(max_length=32, unique=True)
    secret_encrypted = models.TextField(blank=True)
    token_encrypted = models.TextField(blank=True)
    aes_key_encrypted = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.appid


class Fan(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="wechat_fans")
    openid = models.CharField(max_length=64)
    unionid = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="wechat_fans"
    )
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="fans")
    subscribed = models.BooleanField(default=False)
    subscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    distributor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="wechat_followers"
    )
    nickname = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "openid"], name="crm_one_fan")]

    def __str__(self) -> str:
        return self.openid


class WechatNonce(models.Model):
    """A (timestamp, nonce) already accepted: a replayed message is refused."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    timestamp = models.BigIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "timestamp", "nonce"], name="crm_nonce_once")]
        indexes = [models.Index(fields=["seen_at"], name="crm_nonce_seen")]

    def __str__(self) -> str:
        return f"{self.timestamp}/{self.nonce}"


class DistributorQrCode(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    scene = models.CharField(max_length=64, unique=True)
    ticket = models.CharField(max_length=200)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "distributor"], name="crm_one_qrcode_per_distributor")
        ]

    def __str__(self) -> str:
        return self.scene
