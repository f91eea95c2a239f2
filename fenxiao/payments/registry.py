"""Which gateway a payment goes through.

The global default is ``settings.PAYMENT_GATEWAY`` ("sandbox" unless configured).  A brand may
choose a gateway (:class:`BrandPaymentSetting`); a checkout uses the brands' choice when every
brand in it made the same one, otherwise the default.  Whatever the gateway, the platform's
merchant collects (the platform is the clearing account in the ledger) — unless the platform put
the brands on the service-provider funds flow (``profit_sharing.flow_for_brands``): then the
payment goes through ``wechatpay_partner`` to the brands' sub-merchants."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from .gateways.base import PaymentGateway
from .gateways.sandbox import SandboxGateway
from .gateways.wechatpay import WeChatPayGateway
from .gateways.wechatpay_partner import WeChatPayPartnerGateway

GATEWAYS: dict[str, type[PaymentGateway]] = {
    "sandbox": SandboxGateway,
    "wechatpay": WeChatPayGateway,
    # Service-provider mode: never chosen by a brand, only by the platform's funds flow.
    "wechatpay_partner": WeChatPayPartnerGateway,
}


def default_gateway_name() -> str:
    return getattr(settings, "PAYMENT_GATEWAY", "sandbox")


def gateway_for_brands(brand_ids: Iterable[int], *, chosen: list[str] | None = None) -> str:
    """The brands' gateway when every one of them chose the same; the default otherwise.
    ``chosen``: the gateways the brands chose (one per brand that chose) when the caller read them."""
    from .models import BrandPaymentSetting

    brand_ids = set(brand_ids)
    if not brand_ids:
        return default_gateway_name()
    if chosen is None:
        chosen = list(
            BrandPaymentSetting.objects.filter(brand_id__in=brand_ids).values_list("gateway", flat=True)
        )
    distinct, configured = set(chosen), len(chosen)  # one row per brand at most (unique brand)
    if len(distinct) == 1 and configured == len(brand_ids):
        return distinct.pop()
    return default_gateway_name()


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or default_gateway_name()
    try:
        return GATEWAYS[name]()
    except KeyError as exc:
        raise LookupError(f"unknown payment gateway {name!r}") from exc
