"""Reactions to other apps' changes."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from fenxiao.catalog.models import Sku

PENDING_LINK_SESSION_KEY = "fenxiao_share_code"
SIGNUP_SESSION_FLAG = "just_signed_up"  # set by accounts.views.signup


@receiver(post_save, sender=Sku, dispatch_uid="distribution.clamp_store_prices")
def clamp_on_band_change(sender, instance: Sku, **kwargs) -> None:
    from .services import clamp_store_prices_for_sku

    clamp_store_prices_for_sku(instance)


@receiver(user_logged_in, dispatch_uid="distribution.apply_pending_link")
def apply_pending_link(sender, request, user, **kwargs) -> None:
    """A visitor who arrived through a share link and then signed in (or up) is bound now."""
    from .models import ShareLink
    from .pending import pending_code
    from .services import bind

    if request is None or not hasattr(request, "COOKIES"):
        return
    code = pending_code(request)
    if not code:
        return
    link = ShareLink.objects.filter(code=code).first()
    if link:
        session = getattr(request, "session", {})
        bind(consumer=user, link=link, on_signup=bool(session.get(SIGNUP_SESSION_FLAG)))
