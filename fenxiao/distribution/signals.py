"""Reactions to other apps' changes that are not part of an order's life (that is the order
contract, ``order_extension.py``): a SKU's band saved, and a visitor signing in."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from fenxiao.catalog.models import Sku


@receiver(post_save, sender=Sku, dispatch_uid="distribution.clamp_store_prices")
def clamp_on_band_change(sender, instance: Sku, **kwargs) -> None:
    from .store_prices import clamp_store_prices_for_sku

    clamp_store_prices_for_sku(instance)


@receiver(user_logged_in, dispatch_uid="distribution.apply_pending_link")
def apply_pending_link(sender, request, user, **kwargs) -> None:
    from .binding import bind_pending_link

    bind_pending_link(request, user)
