"""Webhook deliveries.

The outbox delivers every event to :func:`fan_out` (a subscriber to ``*``, registered in ``jobs``), which writes one
:class:`WebhookDelivery` per matching subscription of the event's brand and a send job for it, in
the same transaction as the worker's completion of the event (so exactly once).  The send job
POSTs the fixed body, signed; a failure raises so the worker retries it with exponential back-off
(2 s doubling up to an hour).  Jobs of one subscription and one resource share an ordering key, so
a resource's events arrive in order: a failing delivery holds back the later ones of that resource
only.  After :data:`GIVE_UP_AFTER` of failures the delivery is *failed*, the webhook is disabled
and the brand sees a notice in the console.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import requests
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core import clock
from fenxiao.core.jobs import backoff, enqueue
from fenxiao.core.models import OutboxEvent

from . import signing
from .addresses import is_public_url
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription

SEND_JOB = "openapi.send_webhook"
GIVE_UP_AFTER = timedelta(hours=25)
TIMEOUT_SECONDS = 10
USER_AGENT = "fenxiao-webhooks/1"


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the worker retries."""


def send_job_name() -> str:
    return SEND_JOB


def ordering_key(delivery: WebhookDelivery) -> str:
    return f"webhook:{delivery.subscription_id}:{delivery.aggregate or delivery.event_id}"


def event_body(event: OutboxEvent) -> str:
    return json.dumps(
        {
            "id": f"evt_{event.pk}",
            "type": event.topic,
            "created_at": event.created_at.isoformat(),
            "data": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def fan_out(event: OutboxEvent) -> None:
    brand_id = event.payload.get("brand_id") if isinstance(event.payload, dict) else None
    if not brand_id:
        return
    subscriptions = WebhookSubscription.objects.filter(
        app__brand_id=brand_id, app__revoked_at__isnull=True, is_active=True
    ).order_by("pk")
    body = None
    for subscription in subscriptions:
        if event.topic not in subscription.topics:
            continue
        body = body or event_body(event)
        delivery, created = WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            event_id=event.pk,
            resend_of=None,
            defaults={
                "topic": event.topic,
                "aggregate": event.aggregate,
                "body": body,
                "created_at": clock.now(),
            },
        )
        if created:
            enqueue(SEND_JOB, {"delivery_id": delivery.pk}, ordering_key=ordering_key(delivery))


def _headers(delivery: WebhookDelivery, secret: str) -> dict[str, str]:
    timestamp = int(clock.now().timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Fenxiao-Event": delivery.topic,
        "X-Fenxiao-Event-Id": f"evt_{delivery.event_id}",
        "X-Fenxiao-Delivery": str(delivery.pk),
        signing.HEADER: signing.sign(secret, timestamp, delivery.body),
    }


def send_webhook(payload: dict) -> None:
    """Runs outside a transaction (no lock held while the receiver answers)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription").filter(pk=payload["delivery_id"]).first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return  # already delivered (a re-run after a lost lease) or given up: never send twice
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, next_attempt_at=None
        )
        return
    headers = _headers(delivery, subscription.secret)
    started = time.monotonic()
    code, text, error = None, "", ""
    try:
        if not is_public_url(subscription.url):
            raise requests.ConnectionError("the receiver's address is not a public one")
        response = requests.post(
            subscription.url,
            data=delivery.body.encode(),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        code, text = response.status_code, response.text[:2000]
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    ok = code is not None and 200 <= code < 300
    gave_up = _record(delivery, headers, code, text, error, ok, int((time.monotonic() - started) * 1000))
    if not ok and not gave_up:
        raise DeliveryFailed(f"delivery {delivery.pk}: {code or error}")


@transaction.atomic
def _record(delivery, headers, code, text, error, ok, duration_ms) -> bool:
    """Log the attempt; True when the delivery was given up."""
    now = clock.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        request_headers={k: v for k, v in headers.items() if k != signing.HEADER},
        status_code=code,
        response_body=text,
        error=error,
        duration_ms=duration_ms,
    )
    attempts = delivery.attempts + 1
    fields = {
        "attempts": F("attempts") + 1,
        "last_status_code": code,
        "last_response": text,
        "last_error": error,
    }
    gave_up = not ok and now - delivery.created_at >= GIVE_UP_AFTER
    if ok:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif gave_up:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(
            is_active=False,
            disabled_at=now,
            disabled_reason=_("Disabled automatically: deliveries failed for more than 24 hours."),
        )
    else:
        fields.update(next_attempt_at=now + backoff(attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return gave_up
