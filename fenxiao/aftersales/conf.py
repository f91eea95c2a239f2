"""After-sales platform limits and defaults (settings / environment).

A brand chooses its own deadlines inside these limits (``AftersalesPolicy``)."""

from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, os.environ.get(name, default)))


# (minimum, maximum, default) in days
def response_days_limits() -> tuple[int, int, int]:
    """How long a brand may take to answer a request before it is approved automatically."""
    return 1, _setting("AFTERSALES_MAX_RESPONSE_DAYS", 7), _setting("AFTERSALES_DEFAULT_RESPONSE_DAYS", 3)


def return_days_limits() -> tuple[int, int, int]:
    """How long a consumer has to ship goods back after approval."""
    return 3, _setting("AFTERSALES_MAX_RETURN_DAYS", 14), _setting("AFTERSALES_DEFAULT_RETURN_DAYS", 7)


def window_days_limits() -> tuple[int, int, int]:
    """How long after completion a consumer may still open a request."""
    return 7, _setting("AFTERSALES_MAX_WINDOW_DAYS", 30), _setting("AFTERSALES_DEFAULT_WINDOW_DAYS", 7)


def escalation_days() -> int:
    """How long after a rejection the consumer may ask the platform to arbitrate."""
    return _setting("AFTERSALES_ESCALATION_DAYS", 7)


MAX_PHOTOS = 9
MAX_REFUND_ATTEMPTS = 3
