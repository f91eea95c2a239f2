"""Idempotency-Key: the same request replays the first response; another body is a 409; two
concurrent requests with one key write once (PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from fenxiao.catalog.models import Product
from fenxiao.core.tests.concurrency import run_together
from fenxiao.openapi.models import IdempotencyRecord

from .factories import auth

BODY = {"title": "幂等茶", "skus": [{"retail_price": 1000, "stock": 2}]}


def post(client, key, body=BODY, idem="order-1"):
    return client.post(
        "/api/v1/products",
        json.dumps(body),
        content_type="application/json",
        **auth(key, HTTP_IDEMPOTENCY_KEY=idem),
    )


@pytest.mark.django_db
def test_same_key_same_body_replays_the_first_response(client, world):
    key = world["a"]["key"]
    first = post(client, key)
    second = post(client, key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Product.objects.filter(title="幂等茶").count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_409(client, world):
    key = world["a"]["key"]
    post(client, key)
    response = post(client, key, dict(BODY, title="别的茶"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Product.objects.filter(title="别的茶").exists()


@pytest.mark.django_db
def test_keys_are_per_app_and_errors_are_replayed_too(client, world):
    post(client, world["a"]["key"])
    assert post(client, world["b"]["key"]).status_code == 201  # B's own key space
    bad = dict(BODY, skus=[{"retail_price": 0}])
    assert post(client, world["a"]["key"], bad, idem="bad").status_code == 400
    assert post(client, world["a"]["key"], bad, idem="bad").status_code == 400
    assert IdempotencyRecord.objects.count() == 3


@pytest.mark.django_db
def test_too_long_key_is_400(client, world):
    response = post(client, world["a"]["key"], idem="x" * 201)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_idempotency_key"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_write_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking")
    key = world["a"]["key"]
    results = []
    assert run_together(*[lambda: results.append(post(Client(), key, idem="race"))] * 4) == ["ok"] * 4
    assert sorted(r.status_code for r in results) == [201] * 4
    assert len({json.dumps(r.json(), sort_keys=True) for r in results}) == 1
    assert Product.objects.filter(title="幂等茶").count() == 1


@pytest.mark.django_db
def test_records_are_pruned_after_48_hours(client, world):
    from datetime import timedelta

    from fenxiao.core import clock
    from fenxiao.openapi.jobs import prune

    post(client, world["a"]["key"])
    clock.advance(timedelta(hours=47))
    prune()
    assert IdempotencyRecord.objects.count() == 1
    clock.advance(timedelta(hours=2))
    prune()
    assert IdempotencyRecord.objects.count() == 0
