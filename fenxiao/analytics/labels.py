"""Human names for the cube's keys (product titles, store names, brand names, masked phones)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .rollups import NO_PROVINCE


def _ids(keys: list[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit()]


def labels_for(dim: str, keys: list[str]) -> dict[str, str]:
    if dim == "product":
        from fenxiao.catalog.models import Product

        return {
            str(pk): title
            for pk, title in Product.objects.filter(pk__in=_ids(keys)).values_list("pk", "title")
        }
    if dim == "distributor":
        from fenxiao.accounts.models import User

        users = User.objects.filter(pk__in=_ids(keys)).select_related("distributor")
        return {
            str(u.pk): getattr(getattr(u, "distributor", None), "store_name", "") or u.masked_phone
            for u in users
        }
    if dim == "brand":
        from fenxiao.accounts.models import Brand

        return {
            str(pk): name for pk, name in Brand.objects.filter(pk__in=_ids(keys)).values_list("pk", "name")
        }
    if dim == "customer":
        from fenxiao.accounts.models import User

        return {str(u.pk): u.masked_phone or "—" for u in User.objects.filter(pk__in=_ids(keys))}
    if dim == "channel":
        return {"direct": _("Direct"), "distributor": _("Through distributors")}
    if dim == "province":
        return {NO_PROVINCE: _("Unknown")}
    return {}
