"""Brand-console writes: create and schedule each tool, pause or resume it.  Each service checks
the actor's role and brand itself, validates, and writes in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.catalog.models import Product, Sku
from fenxiao.crm.models import MemberLevel, Segment

from .models import Audience, Coupon, CouponKind, FlashSale, GroupDeal, Promotion
from .permissions import require_manage
from .promotions import clean_tiers

TOOL_MODELS = {"coupon": Coupon, "promotion": Promotion, "flash": FlashSale, "group": GroupDeal}


def _window(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise ValidationError(_("The end must be after the start."))


def _own_products(brand_id: int, ids: list[int]) -> list[int]:
    found = set(Product.objects.filter(brand_id=brand_id, pk__in=ids).values_list("pk", flat=True))
    if set(ids) - found:
        raise ValidationError(_("Choose products of your own brand."))
    return sorted(found)


def _own_sku(brand_id: int, sku_id: int) -> Sku:
    sku = Sku.objects.filter(pk=sku_id, brand_id=brand_id).select_related("product").first()
    if sku is None:
        raise ValidationError(_("Choose a SKU of your own brand."))
    return sku


@transaction.atomic
def create_coupon(*, actor: BrandStaff, **data) -> Coupon:
    require_manage(actor, actor.brand_id)
    _window(data)
    kind = data["kind"]
    if kind == CouponKind.PERCENT:
        if not 0 < data.get("percent_bps", 0) <= 10000:
            raise ValidationError(_("A percent coupon takes off between 0.01% and 100%."))
    elif data.get("amount", 0) <= 0:
        raise ValidationError(_("Enter the amount the coupon takes off."))
    if kind == CouponKind.THRESHOLD and data.get("threshold", 0) <= data.get("amount", 0):
        raise ValidationError(_("The minimum spend must be more than the amount off."))
    data["product_ids"] = _own_products(actor.brand_id, data.get("product_ids") or [])
    audience = data.get("audience", Audience.EVERYONE)
    level, segment = data.pop("level_id", None), data.pop("segment_id", None)
    if audience == Audience.LEVEL:
        data["level"] = MemberLevel.objects.filter(pk=level, brand_id=actor.brand_id).first()
        if data["level"] is None:
            raise ValidationError(_("Choose one of your member levels."))
    if audience == Audience.SEGMENT:
        data["segment"] = Segment.objects.filter(pk=segment, brand_id=actor.brand_id).first()
        if data["segment"] is None:
            raise ValidationError(_("Choose one of your segments."))
    return Coupon.objects.create(brand_id=actor.brand_id, **data)


@transaction.atomic
def create_promotion(*, actor: BrandStaff, **data) -> Promotion:
    require_manage(actor, actor.brand_id)
    _window(data)
    data["tiers"] = clean_tiers(data["tiers"])
    data["product_ids"] = _own_products(actor.brand_id, data.get("product_ids") or [])
    return Promotion.objects.create(brand_id=actor.brand_id, **data)


def _special_price(sku: Sku, price: int) -> None:
    if not 0 < price < sku.retail_price:
        raise ValidationError(_("The special price must be above zero and below the retail price."))


@transaction.atomic
def create_flash_sale(*, actor: BrandStaff, sku_id: int, **data) -> FlashSale:
    require_manage(actor, actor.brand_id)
    _window(data)
    sku = _own_sku(actor.brand_id, sku_id)
    _special_price(sku, data["price"])
    if data["quantity"] <= 0 or data["per_member_limit"] <= 0:
        raise ValidationError(_("Quantity and the per-member limit are at least 1."))
    if data["quantity"] > sku.stock:
        raise ValidationError(
            _("Only %(stock)d in stock: the flash sale cannot sell more.") % {"stock": sku.stock}
        )
    return FlashSale.objects.create(brand_id=actor.brand_id, sku=sku, **data)


@transaction.atomic
def create_group_deal(*, actor: BrandStaff, sku_id: int, **data) -> GroupDeal:
    require_manage(actor, actor.brand_id)
    _window(data)
    sku = _own_sku(actor.brand_id, sku_id)
    _special_price(sku, data["price"])
    if data["size"] < 2 or data["hours"] < 1:
        raise ValidationError(_("A group has at least 2 people and at least 1 hour."))
    return GroupDeal.objects.create(brand_id=actor.brand_id, sku=sku, **data)


@transaction.atomic
def set_paused(*, actor: BrandStaff, kind: str, pk: int, paused: bool):
    model = TOOL_MODELS.get(kind)
    tool = model.objects.select_for_update().filter(pk=pk, brand_id=actor.brand_id).first() if model else None
    if tool is None:
        raise ValidationError(_("Not found."))
    require_manage(actor, tool.brand_id)
    tool.paused = paused
    tool.save(update_fields=["paused"])
    return tool
