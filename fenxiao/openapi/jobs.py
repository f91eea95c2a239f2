"""Background work of the open platform (discovered by ``core``): webhook fan-out (an outbox
subscriber to every topic) and sending (a job), and housekeeping of old rate-limit windows and
idempotency records (kept 48 hours)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core import clock
from fenxiao.core.events import subscribe
from fenxiao.core.jobs import job, periodic

from . import ratelimit, webhooks
from .models import IdempotencyRecord

IDEMPOTENCY_KEPT = timedelta(hours=48)

subscribe("*", name="openapi.webhooks")(webhooks.fan_out)
job(webhooks.SEND_JOB, max_attempts=60, atomic=False)(webhooks.send_webhook)


@periodic("openapi.prune", every=timedelta(hours=1))
def prune() -> None:
    ratelimit.prune()
    IdempotencyRecord.objects.filter(created_at__lt=clock.now() - IDEMPOTENCY_KEPT).delete()
