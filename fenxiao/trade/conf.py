"""Trade timers, configurable in settings / environment."""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings


def unpaid_timeout() -> timedelta:
    return timedelta(
        minutes=getattr(
            settings,
            "ORDER_UNPAID_TIMEOUT_MINUTES",
            int(os.environ.get("ORDER_UNPAID_TIMEOUT_MINUTES", "30")),
        )
    )


def auto_confirm_after() -> timedelta:
    return timedelta(
        days=getattr(
            settings, "ORDER_AUTO_CONFIRM_DAYS", int(os.environ.get("ORDER_AUTO_CONFIRM_DAYS", "10"))
        )
    )


def settlement_delay() -> timedelta:
    """Time after completion before an order is settled (the distribution program's freeze days
    extend it per brand)."""
    return timedelta(
        days=getattr(settings, "ORDER_SETTLEMENT_DAYS", int(os.environ.get("ORDER_SETTLEMENT_DAYS", "0")))
    )


def settlement_batch_size() -> int:
    """Orders per settlement batch (one transaction each, ``trade.settlement``)."""
    return int(getattr(settings, "ORDER_SETTLEMENT_BATCH", os.environ.get("ORDER_SETTLEMENT_BATCH", "5000")))


def settlement_run_seconds() -> float:
    """How long one run of the settlement job keeps starting batches (below the worker's 5-minute
    job lease)."""
    return float(
        getattr(
            settings,
            "ORDER_SETTLEMENT_RUN_SECONDS",
            os.environ.get("ORDER_SETTLEMENT_RUN_SECONDS", "120"),
        )
    )
