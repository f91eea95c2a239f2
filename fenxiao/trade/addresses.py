"""A consumer's address book.  Exactly one default address once there is any."""

from __future__ import annotations

from django.db import transaction

from .models import Address


@transaction.atomic
def add_address(*, consumer, is_default: bool = False, **fields) -> Address:
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
