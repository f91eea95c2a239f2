"""Transactional outbox.

    publish("order.paid", {"order_id": 1}, aggregate="order:1")   # in the caller's transaction

    @subscribe("order.paid")
    def on_paid(event: OutboxEvent) -> None: ...

Publishing writes the event and one delivery job per subscriber, in the caller's transaction:
no event without its state change, no state change without its event.  Each subscriber gets
each event once (its delivery job commits with the subscriber's own writes), retried on
failure, and in order per aggregate (deliveries share an ordering key).
"""

from __future__ import annotations

from collections.abc import Callable

from .jobs import enqueue, job
from .models import OutboxEvent
from .registry import SUBSCRIBERS

DELIVER_JOB = "core.deliver_event"


def subscribe(topic: str, *, name: str | None = None) -> Callable:
    def register(fn: Callable[[OutboxEvent], None]) -> Callable[[OutboxEvent], None]:
        subscriber = name or f"{fn.__module__}.{fn.__qualname__}"
        handlers = SUBSCRIBERS.setdefault(topic, [])
        if all(existing != subscriber for existing, _ in handlers):
            handlers.append((subscriber, fn))
        return fn

    return register


def publish(topic: str, payload: dict, *, aggregate: str = "") -> OutboxEvent:
    event = OutboxEvent.objects.create(topic=topic, payload=payload, aggregate=aggregate)
    for subscriber, _ in SUBSCRIBERS.get(topic, []) + SUBSCRIBERS.get("*", []):
        enqueue(
            DELIVER_JOB,
            {"event_id": event.pk, "subscriber": subscriber, "topic": topic},
            ordering_key=f"{aggregate or event.pk}|{subscriber}",
        )
    return event


@job(DELIVER_JOB, max_attempts=25)
def deliver_event(payload: dict) -> None:
    event = OutboxEvent.objects.get(pk=payload["event_id"])
    for subscriber, fn in SUBSCRIBERS.get(event.topic, []) + SUBSCRIBERS.get("*", []):
        if subscriber == payload["subscriber"]:
            fn(event)
            return
    raise LookupError(f"subscriber {payload['subscriber']} is no longer registered for {event.topic}")
