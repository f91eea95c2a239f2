"""Putting a brand on a funds flow (platform staff only): the platform collects, or the brand is a
WeChat Pay sub-merchant of the platform's service-provider merchant (``partner_models``).

Orders already paid keep the flow they were paid on (their sub-orders carry the sub_mchid they
were paid to), so a brand can be moved at any time; the next checkout uses the new flow."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import Brand

from .models import BrandFundsFlow, FundsFlow, MerchantAccount
from .services import PaymentError

SUB_MCHID = re.compile(r"^[0-9]{8,12}$")


@transaction.atomic
def set_funds_flow(*, staff, brand_id: int, flow: str, sub_mchid: str = "") -> BrandFundsFlow:
    """``sub_mchid`` is write-only: left blank, a brand already on the service-provider flow keeps
    the one it has."""
    if not getattr(staff, "is_staff", False):
        raise PermissionDenied("Platform staff only.")
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        raise PaymentError(_("No such brand."))
    if flow not in FundsFlow.values:
        raise PaymentError(_("Unknown funds flow."))
    current = BrandFundsFlow.objects.select_for_update().filter(brand=brand).first()
    sub_mchid = sub_mchid.strip()
    if flow == FundsFlow.SERVICE_PROVIDER:
        if not MerchantAccount.objects.filter(active=True).exists():
            raise PaymentError(_("The platform has not set up its WeChat Pay service-provider merchant yet."))
        if sub_mchid and not SUB_MCHID.match(sub_mchid):
            raise PaymentError(_("A sub-merchant id (sub_mchid) is 8 to 12 digits."))
        if not sub_mchid and not (current and current.sub_mchid_encrypted):
            raise PaymentError(_("Give the brand's sub-merchant id (sub_mchid)."))
    elif sub_mchid:
        raise PaymentError(_("Only the service-provider flow takes a sub-merchant id."))
    setting = current or BrandFundsFlow(brand=brand)
    setting.flow = flow
    if sub_mchid:
        setting.sub_mchid = sub_mchid
    setting.updated_by = staff
    setting.save()
    return setting


def funds_flows() -> list[dict]:
    """Every brand with its flow and whether a sub_mchid is on file (never the id itself)."""
    flows = {f.brand_id: f for f in BrandFundsFlow.objects.all()}
    rows = []
    for brand in Brand.objects.order_by("name", "id"):
        setting = flows.get(brand.pk)
        flow = setting.flow if setting else FundsFlow.PLATFORM_MERCHANT
        rows.append(
            {
                "brand": brand,
                "flow": flow,
                "flow_label": FundsFlow(flow).label,
                "sub_mchid_set": bool(setting and setting.sub_mchid_encrypted),
            }
        )
    return rows
