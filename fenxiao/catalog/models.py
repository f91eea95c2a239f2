"""Catalog and price system.

Every price is an integer number of fen.  Per SKU the brand sets the retail price and the band
``[price_min, price_max]`` inside which a distributor may choose its own price; the database
enforces ``0 < price_min <= retail_price <= price_max`` and ``stock >= 0``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand


class Category(models.Model):
    """Platform-wide category tree (two levels are used by the shop)."""

    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_unique_in_parent")
        ]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None) -> str:
        if language and language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ON_SALE = "on_sale", _("On sale")
    OFF_SHELF = "off_shelf", _("Off shelf")


class Product(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    external_code = models.CharField(
        _("product code"),
        max_length=40,
        blank=True,
        help_text=_("The brand's own code (used by CSV import)."),
    )
    title = models.CharField(_("title"), max_length=120)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="products",
        null=True,
        blank=True,
        verbose_name=_("category"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    distribution_enabled = models.BooleanField(_("open to distributors"), default=True)
    spec_names = models.JSONField(
        _("spec names"), default=list, blank=True, help_text=_('e.g. ["颜色", "尺码"]')
    )
    # Denormalised for listing pages (kept by services whenever SKUs change).
    min_retail_price = models.PositiveIntegerField(default=0)
    total_stock = models.PositiveIntegerField(default=0)
    sales_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["brand", "status", "-id"], name="product_brand_status"),
            models.Index(fields=["status", "category"], name="product_status_category"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "external_code"],
                condition=~Q(external_code=""),
                name="product_code_unique_in_brand",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_on_sale(self) -> bool:
        return self.status == ProductStatus.ON_SALE


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product.brand_id}/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=product_image_path)
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return f"{self.product_id}#{self.position}"


class Sku(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="skus", editable=False)
    spec_values = models.JSONField(_("spec values"), default=dict, blank=True)
    spec_key = models.CharField(
        max_length=200, editable=False, help_text="spec values joined, for uniqueness"
    )
    barcode = models.CharField(_("barcode"), max_length=40, blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    stock = models.IntegerField(_("stock"), default=0)
    retail_price = models.PositiveIntegerField(_("retail price (fen)"))
    price_min = models.PositiveIntegerField(_("lowest distributor price (fen)"))
    price_max = models.PositiveIntegerField(_("highest distributor price (fen)"))
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="sku_stock_not_negative"),
            models.CheckConstraint(condition=Q(price_min__gt=0), name="sku_price_min_positive"),
            models.CheckConstraint(condition=Q(price_min__lte=F("retail_price")), name="sku_min_le_retail"),
            models.CheckConstraint(condition=Q(retail_price__lte=F("price_max")), name="sku_retail_le_max"),
            models.UniqueConstraint(fields=["product", "spec_key"], name="sku_spec_unique_in_product"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} {self.spec_label}".strip()

    @property
    def spec_label(self) -> str:
        """ "红 / L": values in the product's spec order when the product is loaded (PostgreSQL's
        jsonb does not keep key order), else in stored order."""
        values = self.spec_values or {}
        names = list(self.product.spec_names or []) if Sku.product.is_cached(self) else []
        ordered = [n for n in names if n in values] + [n for n in values if n not in names]
        return " / ".join(str(values[n]) for n in ordered)

    @staticmethod
    def make_spec_key(spec_values: dict) -> str:
        return "|".join(f"{k}={v}" for k, v in sorted((spec_values or {}).items()))
