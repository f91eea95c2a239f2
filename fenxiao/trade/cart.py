"""Cart writes and reads."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStatus
from fenxiao.catalog.models import ProductStatus, Sku

from .errors import TradeError
from .models import CartItem

MAX_QUANTITY = 999


def buyable_sku(sku_id: int) -> Sku:
    return check_buyable(Sku.objects.select_related("product", "product__brand").filter(pk=sku_id).first())


def buyable_skus(sku_ids: list[int]) -> dict[int, Sku]:
    """{sku id: SKU with its product and brand} of ``sku_ids``, in one query; the SKUs are
    checked with :func:`check_buyable` by the caller, line by line, so the first line at fault is
    the one named."""
    return Sku.objects.select_related("product", "product__brand").in_bulk(sku_ids)


def check_buyable(sku: Sku | None) -> Sku:
    """``sku`` when it can be bought now, else TradeError saying why."""
    if sku is None or not sku.is_active:
        raise TradeError(_("This item does not exist."))
    if sku.product.status != ProductStatus.ON_SALE or sku.product.brand.status != BrandStatus.APPROVED:
        raise TradeError(_("“%(title)s” is not on sale.") % {"title": sku.product.title})
    return sku


def check_quantity(quantity: int, sku: Sku) -> None:
    if quantity < 1:
        raise TradeError(_("The quantity must be at least 1."))
    if quantity > MAX_QUANTITY:
        raise TradeError(_("At most %(max)d of one item per order.") % {"max": MAX_QUANTITY})
    if quantity > sku.stock:
        raise TradeError(
            _("Only %(stock)d of “%(title)s” left.")
            % {"stock": sku.stock, "title": f"{sku.product.title} {sku.spec_label}".strip()}
        )


@transaction.atomic
def add_to_cart(*, consumer, sku_id: int, quantity: int) -> CartItem:
    sku = buyable_sku(sku_id)
    item = CartItem.objects.select_for_update().filter(consumer=consumer, sku=sku).first()
    new_quantity = quantity + (item.quantity if item else 0)
    check_quantity(new_quantity, sku)
    if item:
        item.quantity = new_quantity
        item.save(update_fields=["quantity"])
        return item
    return CartItem.objects.create(consumer=consumer, sku=sku, quantity=quantity)


@transaction.atomic
def set_cart_quantity(*, consumer, item_id: int, quantity: int) -> CartItem | None:
    item = CartItem.objects.select_for_update().filter(pk=item_id, consumer=consumer).first()
    if item is None:
        raise TradeError(_("This item is not in your cart."))
    if quantity == 0:
        item.delete()
        return None
    check_quantity(quantity, buyable_sku(item.sku_id))
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def select_cart_item(*, consumer, item_id: int, selected: bool) -> CartItem:
    """Tick or untick a cart line: checkout buys only the ticked ones."""
    item = CartItem.objects.select_for_update().filter(pk=item_id, consumer=consumer).first()
    if item is None:
        raise TradeError(_("This item is not in your cart."))
    item.selected = selected
    item.save(update_fields=["selected"])
    return item


def cart_items(consumer) -> QuerySet[CartItem]:
    return (
        CartItem.objects.filter(consumer=consumer)
        .select_related("sku", "sku__product", "sku__product__brand")
        .order_by("sku__brand_id", "id")
    )
