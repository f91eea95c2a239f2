"""Webhooks against a real HTTP receiver on 127.0.0.1: signatures, retries with back-off,
order per resource, exactly-once across lost leases, give-up with notice, re-send."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.core import clock
from fenxiao.core.events import publish
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import EntryStatus, OutboxEntry
from fenxiao.core.relay import claim_due, run_entry
from fenxiao.openapi import services
from fenxiao.openapi.models import DeliveryStatus, WebhookDelivery
from fenxiao.openapi.signing import sign, verify
from fenxiao.openapi.webhooks import SEND_JOB

from .factories import auth
from .receiver import Receiver

pytestmark = pytest.mark.django_db


def subscribe(brand_data: dict, receiver: Receiver, topics=("order.shipped", "order.completed", "stock.low")):
    owner = BrandStaffFactory(brand=brand_data["brand"], role=BrandRole.OWNER)
    hook = services.create_webhook(actor=owner, app_id=brand_data["app"].pk, url=receiver.url, topics=topics)
    receiver.secret = hook.secret
    return hook, owner


def drain(step=timedelta(minutes=5), rounds=1) -> None:
    for _ in range(rounds):
        run_pending(timers=False)
        clock.advance(step)


def test_signature_roundtrip_and_tampering():
    header = sign("s3cret", 1700000000, '{"a":1}')
    assert verify("s3cret", header, '{"a":1}', now=1700000001)
    assert not verify("s3cret", header, '{"a":2}', now=1700000001)
    assert not verify("other", header, '{"a":1}', now=1700000001)
    assert not verify("s3cret", header, '{"a":1}', now=1700009999)  # too old: replay refused
    assert not verify("s3cret", "garbage", '{"a":1}', now=1700000001)


def test_shipping_through_the_api_delivers_a_signed_event(client, world):
    a = world["a"]
    with Receiver() as receiver:
        hook, _ = subscribe(a, receiver)
        response = client.post(
            f"/api/v1/orders/{a['order'].order_no}/shipments",
            json.dumps({"carrier": "SF", "tracking_no": "1"}),
            content_type="application/json",
            **auth(a["key"]),
        )
        assert response.status_code == 201
        drain()
    assert [r["signed"] for r in receiver.requests] == [True]
    event = receiver.accepted[0]
    assert event["type"] == "order.shipped" and event["data"]["order_no"] == a["order"].order_no
    headers = receiver.requests[0]["headers"]
    assert headers["X-Fenxiao-Event"] == "order.shipped" and headers["X-Fenxiao-Event-Id"] == event["id"]
    delivery = WebhookDelivery.objects.get(subscription=hook)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert delivery.attempt_log.count() == 1


def test_other_brands_and_unsubscribed_events_are_not_delivered(world):
    a, b = world["a"], world["b"]
    with Receiver() as receiver:
        subscribe(a, receiver, topics=["order.shipped"])
        publish("order.shipped", {"order_id": 1, "brand_id": b["brand"].pk}, aggregate="order:b")
        publish("order.completed", {"order_id": 2, "brand_id": a["brand"].pk}, aggregate="order:a")
        drain()
    assert receiver.requests == []


def test_receiver_failing_three_times_gets_every_event_exactly_once(world):
    a = world["a"]
    with Receiver(fail_first=3) as receiver:
        hook, _ = subscribe(a, receiver)
        publish("order.shipped", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        publish("order.completed", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        publish("stock.low", {"sku_id": 9, "brand_id": a["brand"].pk}, aggregate="sku:9")
        run_pending(timers=False)
        first = WebhookDelivery.objects.filter(subscription=hook).order_by("id").first()
        assert first.status == DeliveryStatus.PENDING and first.next_attempt_at > clock.now()
        assert first.last_status_code == 503
        drain(step=timedelta(minutes=20), rounds=8)
    ids = [e["id"] for e in receiver.accepted]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert len(receiver.requests) == 6  # 3 failures + 3 successes
    # per resource in order: order:1 shipped before completed
    types = [e["type"] for e in receiver.accepted if e["data"].get("order_id") == 1]
    assert types == ["order.shipped", "order.completed"]
    assert all(d.status == DeliveryStatus.DELIVERED for d in WebhookDelivery.objects.all())


def test_backoff_grows_exponentially(world):
    a = world["a"]
    with Receiver(always_fail=True) as receiver:
        hook, _ = subscribe(a, receiver)
        publish("order.shipped", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        waits = []
        for _ in range(4):
            run_pending(timers=False)
            delivery = WebhookDelivery.objects.get(subscription=hook)
            waits.append(round((delivery.next_attempt_at - clock.now()).total_seconds()))
            assert run_pending(timers=False) == 0  # not due before its time
            clock.advance(delivery.next_attempt_at - clock.now() + timedelta(seconds=1))
    assert waits == [2, 4, 8, 16]


def test_a_lost_lease_does_not_lose_or_duplicate_a_delivery(world):
    """The worker dies after claiming the send job: another worker picks it up after the lease;
    a job re-run after success sends nothing."""
    a = world["a"]
    with Receiver() as receiver:
        subscribe(a, receiver)
        run_pending(timers=False)  # whatever the fixture queued
        publish("order.shipped", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        while not WebhookDelivery.objects.exists():
            run_pending(timers=False, max_jobs=1)  # the fan-out
        [claimed] = claim_due("worker-that-dies", 1)
        while claimed.name != SEND_JOB:
            run_entry(claimed.pk, claimed.attempts)  # other subscribers' deliveries
            [claimed] = claim_due("worker-that-dies", 1)
        assert run_pending(timers=False) == 0 and receiver.requests == []  # leased: nobody else runs it
        clock.advance(timedelta(minutes=6))
        run_pending(timers=False)
        assert len(receiver.accepted) == 1
        OutboxEntry.objects.filter(pk=claimed.pk).update(
            status=EntryStatus.QUEUED, locked_by="", run_at=clock.now()
        )
        run_pending(timers=False)
    assert len(receiver.requests) == 1


def test_persistent_failure_disables_the_webhook_with_a_notice(client, world):
    a = world["a"]
    with Receiver(always_fail=True) as receiver:
        hook, owner = subscribe(a, receiver)
        publish("order.shipped", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        drain(step=timedelta(hours=1), rounds=30)
        hook.refresh_from_db()
        assert not hook.is_active and "24 hours" in hook.disabled_reason
        delivery = WebhookDelivery.objects.get(subscription=hook)
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts > 12
        tried = len(receiver.requests)
        publish("order.completed", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        drain()
        assert len(receiver.requests) == tried  # disabled: nothing more is sent
    client.force_login(owner.user)
    page = client.get(f"/console/b/{a['brand'].pk}/api-apps/")
    assert f"webhook-notice-{hook.pk}" in page.content.decode()


def test_resend_sends_the_same_event_again(world):
    a = world["a"]
    with Receiver() as receiver:
        hook, owner = subscribe(a, receiver)
        publish("order.shipped", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        drain()
        original = WebhookDelivery.objects.get(subscription=hook)
        copy = services.resend_delivery(actor=owner, delivery_id=original.pk)
        drain()
    copy.refresh_from_db()
    assert copy.status == DeliveryStatus.DELIVERED and copy.resend_of == original
    assert [e["id"] for e in receiver.accepted] == [f"evt_{original.event_id}"] * 2


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x", "http://10.0.0.5/x", "http://169.254.169.254/latest", "http://localhost/x"],
)
def test_private_receivers_are_refused_in_production(world, settings, url):
    from django.core.exceptions import ValidationError

    settings.FENXIAO_WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    owner = BrandStaffFactory(brand=world["a"]["brand"], role=BrandRole.OWNER)
    with pytest.raises(ValidationError):
        services.create_webhook(actor=owner, app_id=world["a"]["app"].pk, url=url, topics=["order.paid"])


def test_a_receiver_turned_private_is_not_called(world, settings):
    a = world["a"]
    with Receiver() as receiver:
        hook, _ = subscribe(a, receiver)
        settings.FENXIAO_WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
        publish("order.shipped", {"order_id": 1, "brand_id": a["brand"].pk}, aggregate="order:1")
        run_pending(timers=False)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(subscription=hook)
    assert delivery.status == DeliveryStatus.PENDING and "not a public" in delivery.last_error
