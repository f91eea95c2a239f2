"""Prometheus metrics, structured request logs."""

import json
import logging

import pytest

from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core.jobs import enqueue
from fenxiao.core.observability import JsonFormatter
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory

pytestmark = pytest.mark.django_db


def _sample(body: str, name: str, **labels) -> float:
    for line in body.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels}")


def test_metrics_count_requests_orders_payments_and_queue(client):
    sku_a, sku_b = SkuFactory(stock=5), SkuFactory(stock=5)
    address = AddressFactory()
    place_order(consumer=address.consumer, address_id=address.pk, items=[(sku_a.pk, 1), (sku_b.pk, 1)])
    before = _sample(client.get("/metrics").content.decode(), "fenxiao_task_queue_depth", queue="default")
    enqueue("core.deliver_event", {"event_id": 0, "subscriber": "x", "topic": "t"})
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert (
        _sample(body, "fenxiao_http_request_duration_seconds_count", route="web:healthz", status="2xx") >= 1
    )
    assert _sample(body, "fenxiao_orders", status="pending_payment") == 2
    assert _sample(body, "fenxiao_task_queue_depth", queue="default") == before + 1
    assert _sample(body, "fenxiao_task_queue_age_seconds", queue="default") >= 0
    assert _sample(body, "fenxiao_task_queue_depth", queue="payments") >= 0
    assert "fenxiao_payments" in body


def test_metrics_are_for_loopback_or_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "s3cret-token"
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200


def test_request_log_line_is_structured(client, caplog):
    with caplog.at_level(logging.INFO, logger="fenxiao.request"):
        client.get("/healthz")
    record = next(r for r in caplog.records if r.name == "fenxiao.request")
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "web:healthz" and line["status"] == 200 and line["method"] == "GET"
    assert line["logger"] == "fenxiao.request" and isinstance(line["duration_ms"], float)
