"""Shipping fee rules: the brand's settings write."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm

from .models import ShippingRule


@transaction.atomic
def set_shipping_rule(
    *, actor: BrandStaff, flat_fee: int, free_over: int | None, province_fees: Mapping[str, int]
) -> ShippingRule:
    if not actor.can(Perm.SETTINGS_MANAGE):
        raise PermissionDenied(_("Your role may not change shipping fees."))
    fees = {str(k).strip(): int(v) for k, v in province_fees.items()}
    if flat_fee < 0 or (free_over is not None and free_over < 0) or any(v < 0 for v in fees.values()):
        raise ValidationError(_("Shipping fees cannot be negative."))
    rule, _created = ShippingRule.objects.update_or_create(
        brand_id=actor.brand_id,
        defaults={"flat_fee": flat_fee, "free_over": free_over, "province_fees": fees},
    )
    return rule
