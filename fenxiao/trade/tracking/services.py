"""Tracking writes: ask the provider about a shipment, or take what it pushes, and keep every
step once (the timeline of the consumer's order page)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from fenxiao.core import clock
from fenxiao.core.jobs import enqueue, job

from ..models import Shipment, TrackingEvent
from . import TrackingError, TrackingResult, get_provider
from .kuaidi100 import read_callback

log = logging.getLogger("fenxiao.trade.tracking")
TRACK_JOB = "trade.track_shipment"


@transaction.atomic
def store(shipment_id: int, result: TrackingResult) -> int:
    """Write the steps not stored yet and the parcel's state; the number of new steps."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    known = set(shipment.tracking_events.values_list("at", "context"))
    new = [
        TrackingEvent(shipment=shipment, at=step.at, context=step.context, location=step.location)
        for step in result.steps
        if (step.at, step.context) not in known
    ]
    TrackingEvent.objects.bulk_create(new, ignore_conflicts=True)
    shipment.tracking_state = result.state[:20]
    shipment.tracking_checked_at = clock.now()
    shipment.save(update_fields=["tracking_state", "tracking_checked_at"])
    return len(new)


def refresh(shipment_id: int) -> int:
    """Ask the provider now (outside any transaction: a network call) and store the answer."""
    provider = get_provider()
    if provider is None:
        return 0
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    result = provider.query(shipment.carrier, shipment.tracking_no, phone=_phone(shipment))
    return store(shipment_id, result)


def subscribe(shipment_id: int) -> bool:
    """Ask the provider to push this parcel's changes to our callback (when one is configured)."""
    provider = get_provider()
    if provider is None or not settings.KUAIDI100_CALLBACK_URL:
        return False
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    provider.subscribe(
        shipment.carrier,
        shipment.tracking_no,
        callback_url=settings.KUAIDI100_CALLBACK_URL,
        phone=_phone(shipment),
    )
    Shipment.objects.filter(pk=shipment_id).update(tracking_subscribed_at=clock.now())
    return True


def _phone(shipment: Shipment) -> str:
    return str((shipment.order.address or {}).get("phone", ""))


def record_callback(param: str, sign: str) -> int:
    """Store a signed push from Kuaidi100; TrackingError when the signature or parcel is unknown."""
    carrier, tracking_no, result = read_callback(param, sign, salt=settings.KUAIDI100_SALT)
    shipment = Shipment.objects.filter(carrier=carrier, tracking_no=tracking_no).order_by("-id").first()
    if shipment is None:
        raise TrackingError("no such shipment")
    return store(shipment.pk, result)


def schedule(shipment: Shipment) -> None:
    """After a shipment is written (in its transaction): subscribe and ask once, in the worker."""
    if get_provider() is not None:
        enqueue(TRACK_JOB, {"shipment_id": shipment.pk}, unique_key=f"track:{shipment.pk}")


@job(TRACK_JOB, max_attempts=5, atomic=False)
def track_shipment(payload: dict) -> None:
    shipment_id = int(payload["shipment_id"])
    if Shipment.objects.filter(pk=shipment_id, tracking_subscribed_at__isnull=True).exists():
        subscribe(shipment_id)
    refresh(shipment_id)
