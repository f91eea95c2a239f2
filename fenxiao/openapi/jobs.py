"""Housekeeping: old rate-limit windows and idempotency records (kept 48 hours)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core import clock
from fenxiao.core.jobs import periodic

from . import ratelimit
from .models import IdempotencyRecord

IDEMPOTENCY_KEPT = timedelta(hours=48)


@periodic("openapi.prune", every=timedelta(hours=1))
def prune() -> None:
    ratelimit.prune()
    IdempotencyRecord.objects.filter(created_at__lt=clock.now() - IDEMPOTENCY_KEPT).delete()
