"""Social distribution: programs, distributors' memberships, micro-stores, share links,
visits, customer bindings and commissions.

Rules the database enforces: rates are basis points within 0..10000; level 1 + level 2 never
exceed 100% of the price paid; there is no third level (no field for one) and no joining fee
(no field for one either); a store price is per SKU and checked against the band by services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Product, Sku

User = settings.AUTH_USER_MODEL


class DistributorProfile(models.Model):
    """A person who sells brands' goods through a micro-store.  Holds no stock, sets no price
    outside the band its brand allows."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="distributor")
    store_name = models.CharField(_("store name"), max_length=60)
    intro = models.CharField(_("introduction"), max_length=200, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="distributors/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("distributor")
        verbose_name_plural = _("distributors")

    def __str__(self) -> str:
        return self.store_name


class JoinMode(models.TextChoices):
    OPEN = "open", _("Anyone may join")
    APPROVAL = "approval", _("By application with approval")


class BindingMode(models.TextChoices):
    FIRST_TOUCH = "first_touch", _("First touch: the first distributor keeps the customer")
    LAST_TOUCH = "last_touch", _("Last touch: a new share link takes over")
    ON_SIGNUP = "on_signup", _("On sign-up only")


class DistributionProgram(models.Model):
    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="distribution_program")
    enabled = models.BooleanField(_("enabled"), default=True)
    join_mode = models.CharField(
        _("who may join"), max_length=10, choices=JoinMode.choices, default=JoinMode.APPROVAL
    )
    application_fields = models.JSONField(_("application form fields"), default=list, blank=True)
    binding_mode = models.CharField(
        _("binding"), max_length=12, choices=BindingMode.choices, default=BindingMode.FIRST_TOUCH
    )
    binding_days = models.PositiveIntegerField(_("binding validity (days, 0 = permanent)"), default=30)
    level1_bps = models.PositiveIntegerField(_("level-1 rate (basis points)"), default=1000)
    level2_enabled = models.BooleanField(_("level 2 enabled"), default=False)
    level2_bps = models.PositiveIntegerField(_("level-2 rate (basis points)"), default=0)
    freeze_days = models.PositiveIntegerField(_("freeze days after completion"), default=7)
    self_purchase_commission = models.BooleanField(_("commission on own purchases"), default=False)
    min_withdrawal = models.PositiveIntegerField(_("minimum withdrawal (fen)"), default=1000)
    withdrawal_fee_bps = models.PositiveIntegerField(_("withdrawal fee (basis points)"), default=0)

    class Meta:
        verbose_name = _("distribution program")
        constraints = [
            models.CheckConstraint(condition=Q(level1_bps__lte=10000), name="program_level1_at_most_100pct"),
            models.CheckConstraint(
                condition=Q(level1_bps__lte=10000 - F("level2_bps")),
                name="program_levels_at_most_100pct",
                violation_error_message=_(
                    "Level-1 and level-2 rates together may not exceed the price paid."
                ),
            ),
            models.CheckConstraint(
                condition=Q(withdrawal_fee_bps__lte=10000), name="program_withdrawal_fee_at_most_100pct"
            ),
        ]

    def __str__(self) -> str:
        return f"program of {self.brand}"


class ProductCommissionRate(models.Model):
    """A per-product level-1 rate that overrides the program's."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="commission_rate")
    level1_bps = models.PositiveIntegerField(_("level-1 rate (basis points)"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(level1_bps__lte=10000), name="product_rate_at_most_100pct")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.level1_bps} bps"


class DistributorLevel(models.Model):
    """A brand's distributor tier with its own level-1 rate, reached by sales or customers."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="distributor_levels")
    name = models.CharField(_("name"), max_length=30)
    rate_bps = models.PositiveIntegerField(_("level-1 rate (basis points)"))
    min_sales = models.PositiveIntegerField(_("reached at sales of (fen)"), default=0)
    min_customers = models.PositiveIntegerField(_("or at customers"), default=0)

    class Meta:
        ordering = ["min_sales", "min_customers", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_bps__lte=10000), name="level_rate_at_most_100pct"),
            models.UniqueConstraint(fields=["brand", "name"], name="level_name_unique_in_brand"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class DistributorMembership(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="distributor_memberships")
    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="distributor_memberships")
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.APPLIED
    )
    answers = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    inviter = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitees"
    )
    level = models.ForeignKey(
        DistributorLevel, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    applied_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # What counts for levels, kept by settlement (``services.add_settled_sales``): the paid goods
    # of the distributor's level-1 commissions, not reversed, on the brand's settled orders (fen).
    # ``services.settled_sales`` computes the same number from the commissions.
    settled_sales = models.PositiveBigIntegerField(_("settled sales (fen)"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "distributor"], name="one_membership_per_brand"),
            models.CheckConstraint(condition=~Q(inviter=F("distributor")), name="membership_not_own_inviter"),
            models.CheckConstraint(
                condition=Q(settled_sales__gte=0), name="membership_settled_sales_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.distributor} @ {self.brand} ({self.status})"


class StoreSkuPrice(models.Model):
    """A SKU picked into a distributor's micro-store at the distributor's own price (inside the band)."""

    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="store_prices")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="store_prices")
    price = models.PositiveIntegerField(_("store price (fen)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["distributor", "sku"], name="one_store_price_per_sku"),
            models.CheckConstraint(condition=Q(price__gt=0), name="store_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.distributor_id}/{self.sku_id}: {self.price}"


class DistributorNotice(models.Model):
    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="distributor_notices")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.message


class LinkKind(models.TextChoices):
    STORE = "store", _("Store")
    PRODUCT = "product", _("Product")
    INVITE = "invite", _("Invitation")


class ShareLink(models.Model):
    code = models.CharField(max_length=12, unique=True)
    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="share_links")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="share_links")
    kind = models.CharField(max_length=8, choices=LinkKind.choices)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "brand", "kind"],
                condition=Q(product__isnull=True),
                name="one_link_per_store_or_invite",
            ),
            models.UniqueConstraint(
                fields=["distributor", "product"],
                condition=Q(product__isnull=False),
                name="one_link_per_product",
            ),
            models.CheckConstraint(
                condition=Q(kind="product", product__isnull=False) | ~Q(kind="product"),
                name="product_link_has_product",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Visit(models.Model):
    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="visits")
    visitor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    session_key = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["link", "at"], name="visit_link_at")]

    def __str__(self) -> str:
        return f"{self.link_id} at {self.at}"


class CustomerBinding(models.Model):
    """Which distributor a consumer belongs to, per brand, and until when."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="customer_bindings")
    consumer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="bindings")
    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="bound_customers")
    bound_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    link = models.ForeignKey(ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "consumer"], name="one_binding_per_brand_customer")
        ]

    def __str__(self) -> str:
        return f"{self.consumer_id} → {self.distributor_id} @ {self.brand_id}"


class CommissionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    AVAILABLE = "available", _("Available")
    REVERSED = "reversed", _("Reversed")


class Commission(models.Model):
    order = models.ForeignKey("trade.Order", on_delete=models.PROTECT, related_name="commissions")
    distributor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="commissions")
    level = models.PositiveSmallIntegerField()
    base_amount = models.PositiveIntegerField(
        help_text="paid price of the goods, after discounts, without shipping"
    )
    rate_bps = models.PositiveIntegerField(
        null=True, blank=True, help_text="the rate applied; empty when its lines applied different rates"
    )
    amount = models.PositiveIntegerField()
    reversed_amount = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.PENDING
    )
    created_at = models.DateTimeField()
    available_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "level"], name="one_commission_per_order_level"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="commission_at_most_two_levels"),
            models.CheckConstraint(condition=Q(amount__lte=F("base_amount")), name="commission_within_base"),
            models.CheckConstraint(
                condition=Q(reversed_amount__lte=F("amount")), name="commission_reversal_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.level} {self.amount} for {self.order_id}"


class CommissionLine(models.Model):
    """The part of a level-1 commission one order line earned, at the rate applied to it (the
    product's override rate, the distributor's level rate or the program's)."""

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("trade.OrderLine", on_delete=models.PROTECT, related_name="+")
    base_amount = models.PositiveIntegerField()
    rate_bps = models.PositiveIntegerField()
    amount = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commission", "order_line"], name="one_commission_line_per_line"),
            models.CheckConstraint(
                condition=Q(rate_bps__lte=10000), name="commission_line_rate_at_most_100pct"
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=F("base_amount")), name="commission_line_within_base"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} at {self.rate_bps} bps of line {self.order_line_id}"


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved, paying out")
    PAID = "paid", _("Paid out")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Payout failed")


class Withdrawal(models.Model):
    distributor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="withdrawals")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.PositiveIntegerField(_("amount (fen)"))
    fee = models.PositiveIntegerField(_("fee (fen)"), default=0)
    status = models.CharField(
        max_length=10, choices=WithdrawalStatus.choices, default=WithdrawalStatus.REQUESTED
    )
    reason = models.CharField(max_length=200, blank=True)
    transfer = models.OneToOneField(
        "payments.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    # The distributor's real name for payouts of ¥2,000 or more, encrypted at rest.
    payee_name_encrypted = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(condition=Q(fee__lte=F("amount")), name="withdrawal_fee_within_amount"),
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.pk}"

    @property
    def reference(self) -> str:
        return f"withdrawal:{self.pk}"


class Material(models.Model):
    """A piece of the brand's material library: copy text and pictures, about one product or a
    campaign, that the brand's distributors copy and save to post in their own feeds."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="materials")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    campaign = models.CharField(_("campaign"), max_length=60, blank=True)
    text = models.TextField(_("copy text"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.text[:30]


class MaterialImage(models.Model):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("picture"), upload_to="materials/")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("material picture")
        verbose_name_plural = _("material pictures")

    def __str__(self) -> str:
        return f"{self.material_id}#{self.position}"


class StoreDecoration(models.Model):
    """How a distributor dresses its micro-store: a banner with a headline and featured goods
    (shown first on each brand's micro-store), beside its text sections (``StoreSection``)."""

    distributor = models.OneToOneField(User, on_delete=models.CASCADE, related_name="store_decoration")
    banner = models.ImageField(_("banner"), upload_to="distributors/banners/", blank=True)
    headline = models.CharField(_("headline"), max_length=60, blank=True)
    featured = models.ManyToManyField(Product, blank=True, related_name="+", verbose_name=_("featured goods"))

    class Meta:
        verbose_name = _("store decoration")
        verbose_name_plural = _("store decorations")

    def __str__(self) -> str:
        return f"decoration of {self.distributor_id}"


class StoreSection(models.Model):
    distributor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="store_sections")
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=500)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("store section")
        verbose_name_plural = _("store sections")

    def __str__(self) -> str:
        return self.title
