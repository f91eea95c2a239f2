"""Distribution: distributors and their micro-stores.  (Programs, links, commissions: issue 4.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DistributorProfile(models.Model):
    """A person who sells brands' goods through a micro-store.  Holds no stock, sets no price
    outside the band its brand allows."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="distributor"
    )
    store_name = models.CharField(_("store name"), max_length=60)
    intro = models.CharField(_("introduction"), max_length=200, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="distributors/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("distributor")
        verbose_name_plural = _("distributors")

    def __str__(self) -> str:
        return self.store_name
