"""The transaction system: addresses, shipping rules, cart, checkout, orders and shipments.

One checkout creates one order per brand, all paid by one payment.  Orders keep snapshots of
what was bought (titles, specs, unit prices) and of the attribution at purchase.  Money is fen.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left, Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Sku


class Address(models.Model):
    consumer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(_("recipient"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30, blank=True)
    # GB/T 2260 codes of the picked divisions (``trade.divisions``); empty on an address entered
    # before the picker whose names matched no division.
    province_code = models.CharField(_("province code"), max_length=6, blank=True, default="")
    city_code = models.CharField(_("city code"), max_length=6, blank=True, default="")
    district_code = models.CharField(_("district code"), max_length=6, blank=True, default="")
    detail = models.CharField(_("street address"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "-id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.CheckConstraint(
                condition=Q(province_code="")
                | (Q(Exact(Length("province_code"), 6)) & Q(province_code__endswith="0000")),
                name="address_province_code_shape",
            ),
            models.CheckConstraint(
                condition=Q(city_code="")
                | (
                    Q(Exact(Length("city_code"), 6))
                    & Q(city_code__endswith="00")
                    & ~Q(city_code__endswith="0000")
                    & ~Q(province_code="")
                    & Q(city_code__startswith=Left("province_code", 2))
                ),
                name="address_city_code_in_province",
            ),
            models.CheckConstraint(
                condition=Q(district_code="")
                | (
                    Q(Exact(Length("district_code"), 6))
                    & ~Q(city_code="")
                    & Q(district_code__startswith=Left("city_code", 4))
                ),
                name="address_district_code_in_city",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.province}{self.city}{self.district}{self.detail}"

    def snapshot(self) -> dict:
        """What an order keeps of the address: the names to print and the GB/T 2260 codes."""
        return {
            k: getattr(self, k)
            for k in (
                "name",
                "phone",
                "province",
                "city",
                "district",
                "detail",
                "province_code",
                "city_code",
                "district_code",
            )
        }


class ShippingRule(models.Model):
    """A brand's shipping fee: a flat fee, free above a threshold, with per-province overrides."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="shipping_rule")
    flat_fee = models.PositiveIntegerField(_("flat fee (fen)"), default=0)
    free_over = models.PositiveIntegerField(_("free above (fen)"), null=True, blank=True)
    province_fees = models.JSONField(_("fee by province (fen)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("shipping rule")
        verbose_name_plural = _("shipping rules")

    def __str__(self) -> str:
        return f"shipping of {self.brand}"

    def fee_for(self, goods_amount: int, province: str) -> int:
        if self.free_over is not None and goods_amount >= self.free_over:
            return 0
        return int(self.province_fees.get(province, self.flat_fee))


class CartItem(models.Model):
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_items"
    )
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    selected = models.BooleanField(_("selected for checkout"), default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["consumer", "sku"], name="cart_one_row_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}×{self.quantity}"


class Checkout(models.Model):
    consumer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkouts")
    total = models.PositiveIntegerField()
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, null=True, related_name="checkout"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"checkout {self.pk}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


def new_order_no() -> str:
    return timezone.now().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**6):06d}"


class Order(models.Model):
    order_no = models.CharField(max_length=24, unique=True, editable=False)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    consumer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    goods_amount = models.PositiveIntegerField(help_text="sum of unit price × quantity, fen")
    discount_amount = models.PositiveIntegerField(default=0)
    shipping_amount = models.PositiveIntegerField(default=0)
    paid_amount = models.PositiveIntegerField(help_text="goods − discount + shipping, fen")
    refunded_amount = models.PositiveIntegerField(default=0)
    platform_fee_bps = models.PositiveIntegerField()
    address = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    # Attribution at purchase (filled by the distribution rules).
    distributor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_brand_amount = models.PositiveIntegerField(
        default=0, help_text="what settlement credited the brand, fen"
    )
    settled_fee = models.PositiveIntegerField(
        default=0, help_text="the platform fee taken at settlement, fen"
    )
    refunded_fee = models.PositiveIntegerField(
        default=0, help_text="fee given back by refunds after settlement, fen"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["brand", "status", "-id"], name="order_brand_status"),
            models.Index(fields=["consumer", "-id"], name="order_consumer"),
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            # The settlement batch's pick (trade.settlement): only orders waiting to be settled.
            models.Index(
                fields=["id"],
                condition=Q(status="completed", settled_at__isnull=True),
                name="order_awaiting_settlement",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_amount=F("goods_amount") - F("discount_amount") + F("shipping_amount")),
                name="order_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__lte=F("goods_amount")), name="order_discount_within_goods"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("paid_amount")), name="order_refund_within_paid"
            ),
        ]

    def __str__(self) -> str:
        return self.order_no

    def save(self, *args, **kwargs):
        if not self.order_no:
            self.order_no = new_order_no()
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        return f"order:{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    product_id_snapshot = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    spec_label = models.CharField(max_length=200, blank=True)
    unit_price = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField()
    discount = models.PositiveIntegerField(default=0, help_text="this line's share of every discount, fen")
    paid_amount = models.PositiveIntegerField(help_text="unit price × quantity − discount")
    shipped_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity")), name="line_shipped_within_quantity"
            ),
            models.CheckConstraint(
                condition=Q(paid_amount=F("unit_price") * F("quantity") - F("discount")),
                name="line_amounts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.spec_label} ×{self.quantity}"


# Who moved an order, in the reader's language (``OrderTransition.actor_label`` stores the key).
ACTOR_LABELS = {
    "consumer": pgettext_lazy("order history actor", "consumer"),
    "brand": pgettext_lazy("order history actor", "brand"),
    "brand staff": pgettext_lazy("order history actor", "brand staff"),
    "staff": pgettext_lazy("order history actor", "brand staff"),
    "platform": pgettext_lazy("order history actor", "platform"),
    "payment": pgettext_lazy("order history actor", "payment"),
    "system": pgettext_lazy("order history actor", "system"),
}


class OrderTransition(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=40, help_text="consumer / brand staff / system / payment")
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"

    @property
    def to_label(self) -> str:
        return OrderStatus(self.to_status).label

    @property
    def from_label(self) -> str:
        return OrderStatus(self.from_status).label

    @property
    def actor_display(self) -> str:
        return str(ACTOR_LABELS.get(self.actor_label, self.actor_label))


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_no = models.CharField(_("tracking number"), max_length=40)
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shipped_at = models.DateTimeField()
    # What the tracking provider last said (trade.tracking): its state code and when it was asked.
    tracking_state = models.CharField(max_length=20, blank=True)
    tracking_checked_at = models.DateTimeField(null=True, blank=True)
    tracking_subscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_no}"

    @property
    def carrier_name(self) -> str:
        from .couriers import name_of

        return name_of(self.carrier)

    @property
    def tracking_state_label(self) -> str:
        from .tracking import state_label

        return state_label(self.tracking_state)


class TrackingEvent(models.Model):
    """One step of a parcel's way as the tracking provider reported it (newest shown first)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    at = models.DateTimeField()
    context = models.CharField(max_length=300)
    location = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "at", "context"], name="tracking_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.context}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id}×{self.quantity}"
