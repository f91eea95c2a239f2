"""Reactions to changes that are not part of an order's life (that is the order contract,
``order_extension.py``): a SKU's band saved, a visitor signing in, a share link changed."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fenxiao.catalog.models import Sku
from fenxiao.core import hotcache

from .models import ShareLink
from .selectors import SHARE_LINK_CACHE


@receiver(post_save, sender=Sku, dispatch_uid="distribution.clamp_store_prices")
def clamp_on_band_change(sender, instance: Sku, **kwargs) -> None:
    from .store_prices import clamp_store_prices_for_sku

    clamp_store_prices_for_sku(instance)


@receiver(user_logged_in, dispatch_uid="distribution.apply_pending_link")
def apply_pending_link(sender, request, user, **kwargs) -> None:
    from .binding import bind_pending_link

    bind_pending_link(request, user)


@receiver([post_save, post_delete], sender=ShareLink, dispatch_uid="distribution.forget_share_link")
def forget_share_link(sender, instance: ShareLink, **kwargs) -> None:
    """The redirect's cached link (``selectors.share_link_for_redirect``) is read again."""
    hotcache.forget(SHARE_LINK_CACHE, instance.code)
