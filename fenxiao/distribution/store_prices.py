"""A distributor's micro-store prices: picking goods at a price inside the brand's band
(``catalog.price_band``), and moving store prices back inside a band the brand narrowed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.catalog import price_band
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.core.money import format_yuan

from .models import DistributorNotice, StoreSkuPrice
from .programs import is_active_distributor


@transaction.atomic
def set_store_price(*, distributor, sku_id: int, price: int | None) -> StoreSkuPrice:
    """Pick a SKU into the micro-store at a price inside the brand's band (retail when omitted)."""
    sku = Sku.objects.select_related("product").filter(pk=sku_id, is_active=True).first()
    if sku is None or sku.product.status != ProductStatus.ON_SALE or not sku.product.distribution_enabled:
        raise ValidationError(_("This product is not open to distributors."))
    if not is_active_distributor(distributor.pk, sku.brand_id):
        raise PermissionDenied(_("Join the brand's program first."))
    price = price_band.check_choice(sku.retail_price if price is None else price, sku)
    store_price, _created = StoreSkuPrice.objects.update_or_create(
        distributor=distributor, sku=sku, defaults={"price": price}
    )
    return store_price


@transaction.atomic
def pick_product(*, distributor, product_id: int) -> list[StoreSkuPrice]:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError(_("This product is not open to distributors."))
    return [
        set_store_price(distributor=distributor, sku_id=sku.pk, price=None)
        for sku in product.skus.filter(is_active=True)
    ]


def clamp_store_prices_for_sku(sku: Sku) -> int:
    """A brand narrowed a band: store prices outside it move inside, and their distributors are told."""
    changed = 0
    for store_price in StoreSkuPrice.objects.filter(price_band.outside(sku), sku=sku):
        old = store_price.price
        store_price.price = price_band.clamp(old, sku)
        store_price.save(update_fields=["price"])
        DistributorNotice.objects.create(
            distributor_id=store_price.distributor_id,
            message=_(
                "%(sku)s: the brand changed its price range, so your price moved from ¥%(old)s to ¥%(new)s."
            )
            % {
                "sku": f"{sku.product.title} {sku.spec_label}".strip(),
                "old": format_yuan(old),
                "new": format_yuan(store_price.price),
            },
        )
        changed += 1
    return changed
