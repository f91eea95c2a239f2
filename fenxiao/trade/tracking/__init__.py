"""Parcel tracking: a provider interface, Kuaidi100's query/subscribe protocol behind it, and the
events that feed the order page's logistics timeline.

    provider = get_provider()            # None when no provider is configured
    result = provider.query("shunfeng", "SF1234567890", phone="13800000000")
    provider.subscribe("shunfeng", "SF1234567890", callback_url=..., phone=...)

``services.refresh`` asks the provider and stores new events; the subscribe callback
(``views.kuaidi100_callback``) stores what the provider pushes.  Both are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.translation import pgettext_lazy

# Kuaidi100's ``state`` codes (resultv2=0): what a parcel's status means.
STATES = {
    "0": pgettext_lazy("parcel", "In transit"),
    "1": pgettext_lazy("parcel", "Picked up"),
    "2": pgettext_lazy("parcel", "Problem"),
    "3": pgettext_lazy("parcel", "Delivered"),
    "4": pgettext_lazy("parcel", "Returned to sender"),
    "5": pgettext_lazy("parcel", "Out for delivery"),
    "6": pgettext_lazy("parcel", "Being returned"),
    "7": pgettext_lazy("parcel", "Transferred"),
    "14": pgettext_lazy("parcel", "Refused"),
}


def state_label(code: str) -> str:
    return str(STATES.get(code, "")) if code else ""


@dataclass(frozen=True)
class TrackingStep:
    at: datetime
    context: str
    location: str = ""


@dataclass(frozen=True)
class TrackingResult:
    state: str  # a Kuaidi100 state code ("" when unknown)
    delivered: bool
    steps: list[TrackingStep] = field(default_factory=list)


class TrackingError(Exception):
    """The provider refused or could not be reached; the message says why."""


class TrackingProvider(Protocol):
    def query(self, carrier: str, tracking_no: str, *, phone: str = "") -> TrackingResult: ...

    def subscribe(self, carrier: str, tracking_no: str, *, callback_url: str, phone: str = "") -> None: ...


def get_provider() -> TrackingProvider | None:
    """The configured provider (``TRACKING_PROVIDER``), or None when tracking is off."""
    if settings.TRACKING_PROVIDER == "kuaidi100":
        from .kuaidi100 import Kuaidi100

        return Kuaidi100(
            base_url=settings.KUAIDI100_URL,
            customer=settings.KUAIDI100_CUSTOMER,
            key=settings.KUAIDI100_KEY,
            salt=settings.KUAIDI100_SALT,
        )
    return None
