"""Forget the cached product page (``shop_selectors.product_page``) when what it shows changes.

Stock taken or returned by conditional ``UPDATE`` (checkout, cancellations, returns) sends no
signal: the page's stock figure may lag by up to ``HOT_CACHE_SECONDS``; checkout never does.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fenxiao.core import hotcache

from .models import Product, ProductImage, Sku
from .shop_selectors import PRODUCT_PAGE_CACHE


@receiver([post_save, post_delete], sender=Product, dispatch_uid="catalog.forget_product_page")
def forget_product(sender, instance: Product, **kwargs) -> None:
    hotcache.forget(PRODUCT_PAGE_CACHE, instance.pk)


@receiver([post_save, post_delete], sender=Sku, dispatch_uid="catalog.forget_product_page_sku")
@receiver([post_save, post_delete], sender=ProductImage, dispatch_uid="catalog.forget_product_page_image")
def forget_product_of(sender, instance: Sku | ProductImage, **kwargs) -> None:
    hotcache.forget(PRODUCT_PAGE_CACHE, instance.product_id)
