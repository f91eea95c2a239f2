"""After-sales timers, run by the worker once per period across all workers.

- a request the brand has not answered by its deadline is approved automatically;
- a return the consumer has not shipped back by its deadline closes;
- returned goods the brand has not confirmed by its deadline count as received;
- a rejection not escalated by its deadline closes;
- refunds still in progress are finished (or retried) when the gateway has answered.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from fenxiao.core import clock
from fenxiao.core.jobs import periodic

from . import refunding, services
from .models import AftersaleRequest, Status

log = logging.getLogger("fenxiao.aftersales")
BATCH = 200


def _due(*statuses: str):
    return AftersaleRequest.objects.filter(status__in=statuses, due_at__lte=clock.now()).values_list(
        "id", flat=True
    )[:BATCH]


def _each(ids, fn) -> None:
    for request_id in ids:
        try:
            fn(request_id)
        except ValidationError as exc:  # e.g. the refund is refused: tried again next period
            log.warning("after-sales timer on request %s: %s", request_id, exc.messages)


@periodic("aftersales.auto_approve", every=timedelta(seconds=60))
def auto_approve_requests() -> None:
    _each(_due(Status.REQUESTED), services.auto_approve)


@periodic("aftersales.close_expired", every=timedelta(seconds=60))
def close_expired_requests() -> None:
    _each(_due(Status.APPROVED, Status.REJECTED), services.close_expired)


@periodic("aftersales.auto_receive", every=timedelta(seconds=60))
def auto_receive_returns() -> None:
    _each(_due(Status.RETURN_SHIPPED), services.auto_receive)


@transaction.atomic
def _sync(request_id: int) -> None:
    request = services.lock_request(request_id)
    refunding.sync_refund(request)


@periodic("aftersales.sync_refunds", every=timedelta(seconds=30))
def sync_refunds() -> None:
    ids = AftersaleRequest.objects.filter(status=Status.REFUNDING).values_list("id", flat=True)[:BATCH]
    _each(ids, _sync)
