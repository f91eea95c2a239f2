from __future__ import annotations

from django.conf import settings

from .gateways.base import PaymentGateway
from .gateways.sandbox import SandboxGateway

GATEWAYS: dict[str, type[PaymentGateway]] = {"sandbox": SandboxGateway}


def default_gateway_name() -> str:
    return getattr(settings, "PAYMENT_GATEWAY", "sandbox")


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or default_gateway_name()
    try:
        return GATEWAYS[name]()
    except KeyError as exc:
        raise LookupError(f"unknown payment gateway {name!r}") from exc
