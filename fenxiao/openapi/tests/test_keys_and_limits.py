"""Keys (hashed, shown once, rotate, revoke, last use), rate limits and the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.core import clock
from fenxiao.openapi import services
from fenxiao.openapi.models import ApiApp, ApiAuditEntry

from .factories import auth, make_app

pytestmark = pytest.mark.django_db


def test_raw_key_is_never_stored(world):
    app, raw = world["a"]["app"], world["a"]["key"]
    secret_part = raw.split("_", 2)[2]  # the secret itself may hold "_"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM openapi_apiapp")
        rows = cursor.fetchall()
    dumped = json.dumps(rows, default=str)
    assert raw not in dumped and secret_part not in dumped
    assert app.key_prefix in raw and len(app.key_hash) == 64


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Basic abc", "Bearer fxk_000000000000_wrong"],
)
def test_missing_or_wrong_key_is_401(client, world, header):
    response = client.get("/api/v1/products", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_right_prefix_with_wrong_secret_is_401(client, world):
    raw = world["a"]["key"]
    response = client.get("/api/v1/products", **auth(raw[:-3] + "xyz"))
    assert response.status_code == 401


def test_rotate_invalidates_the_old_key_and_revoke_every_key(client, world):
    a = world["a"]
    owner = BrandStaffFactory(brand=a["brand"], role=BrandRole.OWNER)
    _, new_key = services.rotate_key(actor=owner, app_id=a["app"].pk)
    assert client.get("/api/v1/products", **auth(a["key"])).status_code == 401
    assert client.get("/api/v1/products", **auth(new_key)).status_code == 200
    services.revoke_app(actor=owner, app_id=a["app"].pk)
    assert client.get("/api/v1/products", **auth(new_key)).status_code == 401


def test_only_settings_managers_of_the_brand_manage_apps(world):
    a, b = world["a"], world["b"]
    ops = BrandStaffFactory(brand=a["brand"], role=BrandRole.OPERATIONS)
    with pytest.raises(PermissionDenied):
        services.create_app(actor=ops, name="x", scope_list=[])
    other_owner = BrandStaffFactory(brand=b["brand"], role=BrandRole.OWNER)
    with pytest.raises(ApiApp.DoesNotExist):
        services.rotate_key(actor=other_owner, app_id=a["app"].pk)


def test_unknown_scope_and_bad_rate_are_refused(world):
    owner = BrandStaffFactory(brand=world["a"]["brand"], role=BrandRole.OWNER)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.create_app(actor=owner, name="x", scope_list=["orders:delete"])
    with pytest.raises(ValidationError):
        services.create_app(actor=owner, name="y", scope_list=[], rate_limit_per_minute=0)
    assert not ApiApp.objects.filter(name__in=["x", "y"]).exists()


def test_last_used_is_recorded(client, world):
    app = world["a"]["app"]
    assert app.last_used_at is None
    client.get("/api/v1/products", **auth(world["a"]["key"]))
    app.refresh_from_db()
    assert app.last_used_at is not None


def test_rate_limit_answers_429_with_retry_after_then_recovers(client, world):
    a = world["a"]
    app, raw = make_app(a["brand"], rate=3, name="slow")
    start = clock.now()
    clock.advance(timedelta(seconds=60 - start.second - start.microsecond / 1e6 + 10))  # 10 s into a minute
    for _ in range(3):
        assert client.get("/api/v1/products", **auth(raw)).status_code == 200
    limited = client.get("/api/v1/products", **auth(raw))
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 50
    assert client.get("/api/v1/products", **auth(a["key"])).status_code == 200  # other apps unaffected
    clock.advance(timedelta(seconds=int(limited["Retry-After"])))
    assert client.get("/api/v1/products", **auth(raw)).status_code == 200


def test_every_write_is_audited_and_the_audit_is_immutable(client, world):
    a = world["a"]
    url = f"/api/v1/skus/{a['sku'].pk}/stock"
    client.put(
        url,
        json.dumps({"stock": 7}),
        content_type="application/json",
        **auth(a["key"], HTTP_IDEMPOTENCY_KEY="k1"),
    )
    client.put(url, json.dumps({"stock": -7}), content_type="application/json", **auth(a["key"]))
    client.get("/api/v1/products", **auth(a["key"]))  # reads are not audited
    entries = list(ApiAuditEntry.objects.order_by("id"))
    assert [(e.method, e.path, e.status_code, e.idempotency_key) for e in entries] == [
        ("PUT", url, 200, "k1"),
        ("PUT", url, 422, ""),
    ]
    assert entries[0].app == a["app"] and entries[0].brand == a["brand"]
    with pytest.raises(ValueError):
        entries[0].save()
    with pytest.raises(ValueError):
        entries[0].delete()
