"""A consumer's address book.  Exactly one default address once there is any."""

from __future__ import annotations

from django.db import transaction

from . import divisions
from .models import Address


@transaction.atomic
def add_address(*, consumer, is_default: bool = False, **fields) -> Address:
    """Add an address.

    Given ``province_code``/``city_code``/``district_code`` (the picker), the codes are checked
    against GB/T 2260 (:class:`divisions.UnknownDivision`, a ``ValidationError``, when unknown or
    inconsistent; nothing is written) and the names are taken from the data.  Given names only,
    the codes are filled where the names match a division.
    """
    if "province_code" in fields:
        picked = divisions.pick(
            fields.pop("province_code") or "",
            fields.pop("city_code", "") or "",
            fields.pop("district_code", "") or "",
        )
        fields.update(
            province=picked.province,
            province_code=picked.province_code,
            city=picked.city,
            city_code=picked.city_code,
            district=picked.district,
            district_code=picked.district_code,
        )
    else:
        codes = divisions.codes_for_names(
            fields.get("province", ""), fields.get("city", ""), fields.get("district", "")
        )
        fields.update(zip(("province_code", "city_code", "district_code"), codes, strict=True))
    first = not Address.objects.filter(consumer=consumer).exists()
    if is_default or first:
        Address.objects.filter(consumer=consumer).update(is_default=False)
    address = Address(consumer=consumer, is_default=is_default or first, **fields)
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def make_default_address(address: Address) -> Address:
    Address.objects.filter(consumer_id=address.consumer_id).update(is_default=False)
    Address.objects.filter(pk=address.pk).update(is_default=True)
    address.is_default = True
    return address
