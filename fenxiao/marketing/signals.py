"""Forget the product page's cached offers (``selectors.product_offers``) when a tool changes, and
a flash sale's "sold out" note (``soldout``) when its row is saved or deleted (the brand resumed
it or changed its quantity or window: units may be back).

Counters moved by conditional ``UPDATE`` (a flash sale's units sold, a group's paid seats) send
no signal: the page may show them up to ``HOT_CACHE_SECONDS`` late; buying never reads them
from the cache.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fenxiao.catalog.models import Sku
from fenxiao.core import hotcache

from . import soldout
from .models import Coupon, FlashSale, Group, GroupDeal
from .selectors import CLAIMABLE_COUPONS_CACHE, PRODUCT_OFFERS_CACHE


def _forget_sku(sku_id: int) -> None:
    for product_id in Sku.objects.filter(pk=sku_id).values_list("product_id", flat=True):
        hotcache.forget(PRODUCT_OFFERS_CACHE, product_id)


@receiver([post_save, post_delete], sender=FlashSale, dispatch_uid="marketing.forget_offers_flash")
@receiver([post_save, post_delete], sender=GroupDeal, dispatch_uid="marketing.forget_offers_deal")
def forget_tool(sender, instance: FlashSale | GroupDeal, **kwargs) -> None:
    _forget_sku(instance.sku_id)
    if sender is FlashSale:
        soldout.forget(instance.pk)


@receiver([post_save, post_delete], sender=Group, dispatch_uid="marketing.forget_offers_group")
def forget_group(sender, instance: Group, **kwargs) -> None:
    for sku_id in GroupDeal.objects.filter(pk=instance.deal_id).values_list("sku_id", flat=True):
        _forget_sku(sku_id)


@receiver([post_save, post_delete], sender=Coupon, dispatch_uid="marketing.forget_claimable_coupons")
def forget_coupons(sender, instance: Coupon, **kwargs) -> None:
    hotcache.forget(CLAIMABLE_COUPONS_CACHE, instance.brand_id)
