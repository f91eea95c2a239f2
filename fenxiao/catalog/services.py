"""Catalog writes.  Every function takes the acting brand staff member (``actor``), checks its
role allows the change and that every object belongs to its brand, and runs in one transaction.

The price rule ``0 < price_min <= retail_price <= price_max`` is ``price_band.check_band``, with a
message a person understands, backed by the database's check constraints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Min, Sum
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm

from . import price_band
from .images import image_files
from .models import Category, Product, ProductImage, ProductStatus, Sku
from .stock_events import stock_changed


@dataclass
class SkuInput:
    """One SKU as a brand edits it.  Prices in fen; a blank band means a fixed price."""

    spec_values: dict[str, str] = field(default_factory=dict)
    retail_price: int = 0
    price_min: int | None = None
    price_max: int | None = None
    stock: int = 0
    barcode: str = ""
    weight_grams: int = 0
    sku_id: int | None = None

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.spec_values.values()) or _("the default SKU")


def _require(actor: BrandStaff, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(
            _("Your role (%(role)s) may not do this.") % {"role": actor.get_role_display()}
        )


def _check_stock(label: str, stock: int) -> None:
    if stock < 0:
        raise ValidationError(_("%(sku)s: stock cannot be negative.") % {"sku": label})


def refresh_product_summary(product: Product) -> None:
    summary = product.skus.filter(is_active=True).aggregate(low=Min("retail_price"), stock=Sum("stock"))
    product.min_retail_price = summary["low"] or 0
    product.total_stock = summary["stock"] or 0
    product.save(update_fields=["min_retail_price", "total_stock", "updated_at"])


def validate_skus(spec_names: Sequence[str], skus: Sequence[SkuInput]) -> None:
    if not skus:
        raise ValidationError(_("A product needs at least one SKU."))
    keys = set()
    for sku in skus:
        missing = [name for name in spec_names if not str(sku.spec_values.get(name, "")).strip()]
        if missing:
            raise ValidationError(
                _("%(sku)s: give a value for %(specs)s.") % {"sku": sku.label, "specs": "、".join(missing)}
            )
        key = Sku.make_spec_key(sku.spec_values)
        if key in keys:
            raise ValidationError(_("Two SKUs have the same specs: %(sku)s.") % {"sku": sku.label})
        keys.add(key)
        price_band.check_band(sku.label, sku.retail_price, sku.price_min, sku.price_max)
        _check_stock(sku.label, sku.stock)


def _write_sku(product: Product, data: SkuInput, existing: Sku | None) -> Sku:
    price_min, price_max = price_band.check_band(
        data.label, data.retail_price, data.price_min, data.price_max
    )
    sku = existing or Sku(product=product, brand_id=product.brand_id)
    sku.spec_values = {k: str(v).strip() for k, v in data.spec_values.items()}
    sku.spec_key = Sku.make_spec_key(sku.spec_values)
    sku.barcode = data.barcode.strip()
    sku.weight_grams = data.weight_grams
    sku.stock = data.stock
    sku.retail_price = data.retail_price
    sku.price_min = price_min
    sku.price_max = price_max
    sku.is_active = True
    sku.save()
    return sku


def _clean_spec_names(spec_names: Iterable[str]) -> list[str]:
    names = [str(n).strip() for n in spec_names if str(n).strip()]
    if len(set(names)) != len(names):
        raise ValidationError(_("Spec names must differ from each other."))
    return names


@transaction.atomic
def create_product(
    *,
    actor: BrandStaff,
    title: str,
    skus: Sequence[SkuInput],
    subtitle: str = "",
    description: str = "",
    category: Category | None = None,
    spec_names: Sequence[str] = (),
    distribution_enabled: bool = True,
) -> Product:
    _require(actor, Perm.CATALOG_EDIT)
    _require(actor, Perm.CATALOG_PRICE)
    _require(actor, Perm.CATALOG_STOCK)
    names = _clean_spec_names(spec_names)
    validate_skus(names, skus)
    product = Product(
        brand_id=actor.brand_id,
        title=title.strip(),
        subtitle=subtitle.strip(),
        description=description,
        category=category,
        spec_names=names,
        distribution_enabled=distribution_enabled,
        status=ProductStatus.DRAFT,
    )
    product.full_clean(exclude=["brand"])
    product.save()
    for data in skus:
        _write_sku(product, data, None)
    refresh_product_summary(product)
    return product


def get_brand_product(actor: BrandStaff, product_id: int, *, lock: bool = False) -> Product:
    query = Product.objects.filter(pk=product_id, brand_id=actor.brand_id)
    if lock:
        query = query.select_for_update()
    product = query.first()
    if product is None:
        raise Product.DoesNotExist(_("No such product in this brand."))
    return product


@transaction.atomic
def update_product(
    *,
    actor: BrandStaff,
    product_id: int,
    skus: Sequence[SkuInput] | None = None,
    **fields,
) -> Product:
    """Change a product's content and, when ``skus`` is given, its SKU list (SKUs left out are
    deactivated, never deleted, so past orders keep their reference)."""
    _require(actor, Perm.CATALOG_EDIT)
    product = get_brand_product(actor, product_id, lock=True)
    allowed = {"title", "subtitle", "description", "category", "spec_names", "distribution_enabled"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    if "spec_names" in fields:
        fields["spec_names"] = _clean_spec_names(fields["spec_names"])
    for name, value in fields.items():
        setattr(product, name, value.strip() if isinstance(value, str) and name != "description" else value)
    product.full_clean(exclude=["brand"])
    product.save()
    if skus is not None:
        _replace_skus(actor, product, skus)
    refresh_product_summary(product)
    return product


def _replace_skus(actor: BrandStaff, product: Product, skus: Sequence[SkuInput]) -> None:
    validate_skus(product.spec_names, skus)
    current = {sku.pk: sku for sku in product.skus.select_for_update()}
    for data in skus:
        existing = current.get(data.sku_id) if data.sku_id else None
        if data.sku_id and existing is None:
            raise ValidationError(_("SKU %(id)s is not part of this product.") % {"id": data.sku_id})
        if existing is not None:
            if (existing.retail_price, existing.price_min, existing.price_max) != (
                data.retail_price,
                *price_band.check_band(data.label, data.retail_price, data.price_min, data.price_max),
            ):
                _require(actor, Perm.CATALOG_PRICE)
            if existing.stock != data.stock:
                _require(actor, Perm.CATALOG_STOCK)
        else:
            _require(actor, Perm.CATALOG_PRICE)
            _require(actor, Perm.CATALOG_STOCK)
    kept = {data.sku_id for data in skus if data.sku_id}
    # Free the spec keys of SKUs being replaced before writing the new ones.
    for sku_id, sku in current.items():
        if sku_id not in kept and sku.is_active:
            sku.is_active = False
            sku.spec_key = f"retired-{sku.pk}"
            sku.save(update_fields=["is_active", "spec_key"])
    for data in skus:
        _write_sku(product, data, current.get(data.sku_id) if data.sku_id else None)


@transaction.atomic
def set_product_status(*, actor: BrandStaff, product_id: int, status: str) -> Product:
    _require(actor, Perm.CATALOG_EDIT)
    if status not in ProductStatus.values:
        raise ValidationError(_("Unknown status."))
    product = get_brand_product(actor, product_id, lock=True)
    if status == ProductStatus.ON_SALE and not product.skus.filter(is_active=True).exists():
        raise ValidationError(_("Add at least one SKU before putting the product on sale."))
    product.status = status
    product.save(update_fields=["status", "updated_at"])
    return product


@dataclass
class SkuChange:
    sku_id: int
    stock: int | None = None
    retail_price: int | None = None
    price_min: int | None = None
    price_max: int | None = None


@transaction.atomic
def bulk_update_skus(*, actor: BrandStaff, changes: Sequence[SkuChange]) -> list[Sku]:
    """Stock and prices of many SKUs at once: all of them or none."""
    ids = [c.sku_id for c in changes]
    skus = {
        s.pk: s
        for s in Sku.objects.select_for_update()
        .select_related("product")
        .filter(pk__in=ids, brand_id=actor.brand_id)
    }
    errors: list[str] = []
    touched_products = set()
    stock_before = {pk: sku.stock for pk, sku in skus.items()}
    for change in changes:
        sku = skus.get(change.sku_id)
        if sku is None:
            raise Sku.DoesNotExist(_("No such SKU in this brand."))
        label = f"{sku.product.title} {sku.spec_label}".strip()
        price_changed = any(
            v is not None and v != getattr(sku, n)
            for n, v in (
                ("retail_price", change.retail_price),
                ("price_min", change.price_min),
                ("price_max", change.price_max),
            )
        )
        if price_changed:
            _require(actor, Perm.CATALOG_PRICE)
        if change.stock is not None and change.stock != sku.stock:
            _require(actor, Perm.CATALOG_STOCK)
        retail = sku.retail_price if change.retail_price is None else change.retail_price
        pmin = sku.price_min if change.price_min is None else change.price_min
        pmax = sku.price_max if change.price_max is None else change.price_max
        try:
            price_band.check_band(label, retail, pmin, pmax)
            if change.stock is not None:
                _check_stock(label, change.stock)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        sku.retail_price, sku.price_min, sku.price_max = retail, pmin, pmax
        if change.stock is not None:
            sku.stock = change.stock
        touched_products.add(sku.product)
    if errors:
        raise ValidationError(errors)
    for sku in skus.values():
        sku.save(update_fields=["retail_price", "price_min", "price_max", "stock"])
        stock_changed(
            sku_id=sku.pk,
            product_id=sku.product_id,
            brand_id=sku.brand_id,
            before=stock_before[sku.pk],
            after=sku.stock,
        )
    for product in touched_products:
        refresh_product_summary(product)
    return list(skus.values())


@transaction.atomic
def add_product_image(*, actor: BrandStaff, product_id: int, upload: UploadedFile) -> ProductImage:
    _require(actor, Perm.CATALOG_EDIT)
    product = get_brand_product(actor, product_id, lock=True)
    position = product.images.count()
    image_file, thumb_file, (width, height) = image_files(upload, f"p{product.pk}-{position}")
    image = ProductImage(product=product, position=position, width=width, height=height)
    image.image.save(image_file.name, image_file, save=False)
    image.thumbnail.save(thumb_file.name, thumb_file, save=False)
    image.save()
    return image


@transaction.atomic
def remove_product_image(*, actor: BrandStaff, product_id: int, image_id: int) -> None:
    _require(actor, Perm.CATALOG_EDIT)
    product = get_brand_product(actor, product_id, lock=True)
    product.images.filter(pk=image_id).delete()
