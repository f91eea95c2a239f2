"""Each endpoint: the happy path and bad input answered in the one error format."""

from __future__ import annotations

import json

import pytest

from fenxiao.catalog.models import Product, Sku
from fenxiao.core.models import OutboxEvent
from fenxiao.distribution.models import MembershipStatus
from fenxiao.trade.models import OrderStatus

from .factories import auth

pytestmark = pytest.mark.django_db


def call(client, method, url, key, body=None, **headers):
    kwargs = auth(key, **headers)
    if body is not None:
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **kwargs)
    return getattr(client, method)(url, **kwargs)


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_openapi_document_and_docs_are_public_and_both_apis_coexist(client):
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    schema = doc.json()
    assert schema["openapi"].startswith("3.") and "/api/v1/orders" in schema["paths"]
    assert all(not p.startswith("/api/console") for p in schema["paths"])
    assert client.get("/api/v1/docs").status_code == 200
    console_doc = client.get("/api/openapi.json").json()
    assert any(p.startswith("/api/console/") for p in console_doc["paths"])


def test_unknown_endpoint_is_a_json_404(client, world):
    assert_error(call(client, "get", "/api/v1/nope", world["a"]["key"]), 404, "not_found")


def test_list_and_get_products(client, world):
    a = world["a"]
    response = call(client, "get", "/api/v1/products", a["key"])
    assert response.status_code == 200
    data = response.json()
    assert [p["id"] for p in data["data"]] == [a["product"].pk] and data["next_cursor"] is None
    assert data["data"][0]["created_at"].endswith(("Z", "+00:00"))
    detail = call(client, "get", f"/api/v1/products/{a['product'].pk}", a["key"]).json()
    assert detail["skus"][0]["id"] == a["sku"].pk
    assert_error(call(client, "get", "/api/v1/products?limit=0", a["key"]), 400, "invalid_limit")
    assert_error(call(client, "get", "/api/v1/products?cursor=%%%", a["key"]), 400, "invalid_cursor")
    assert_error(call(client, "get", "/api/v1/products?status=nope", a["key"]), 422, "validation_error")
    assert_error(call(client, "get", "/api/v1/products/999999", a["key"]), 404, "not_found")


def test_create_product_uses_the_catalog_band_rules(client, world):
    a = world["a"]
    body = {
        "title": "新茶",
        "spec_names": ["规格"],
        "skus": [
            {
                "spec_values": {"规格": "500g"},
                "retail_price": 5800,
                "price_min": 5000,
                "price_max": 6800,
                "stock": 3,
            }
        ],
    }
    response = call(client, "post", "/api/v1/products", a["key"], body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft" and created["skus"][0]["price_min"] == 5000
    assert Product.objects.get(pk=created["id"]).brand_id == a["brand"].pk
    bad = dict(body, title="坏茶", skus=[dict(body["skus"][0], price_min=9000)])
    error = assert_error(call(client, "post", "/api/v1/products", a["key"], bad), 400, "invalid")
    assert "lowest distributor price" in error["message"]
    assert not Product.objects.filter(title="坏茶").exists()
    error = assert_error(
        call(client, "post", "/api/v1/products", a["key"], {"title": ""}), 422, "validation_error"
    )
    assert "title" in error["fields"] and "skus" in error["fields"]
    assert_error(
        call(client, "post", "/api/v1/products", a["key"], dict(body, title="x", category_id=987654)),
        400,
        "invalid",
    )


def test_update_product_content_and_status(client, world):
    a = world["a"]
    url = f"/api/v1/products/{a['product'].pk}"
    response = call(client, "patch", url, a["key"], {"title": "改名", "status": "off_shelf"})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["status"]) == ("改名", "off_shelf")
    assert_error(call(client, "patch", url, a["key"], {"status": "gone"}), 422, "validation_error")
    assert_error(call(client, "patch", url, a["key"], {"title": ""}), 422, "validation_error")


def test_stock_set_and_adjust(client, world):
    a = world["a"]
    sku = a["sku"]
    response = call(client, "put", f"/api/v1/skus/{sku.pk}/stock", a["key"], {"stock": 40})
    assert response.status_code == 200 and response.json()["stock"] == 40
    response = call(client, "post", f"/api/v1/skus/{sku.pk}/stock/adjust", a["key"], {"delta": -15})
    assert response.status_code == 200 and response.json()["stock"] == 25
    assert_error(call(client, "post", f"/api/v1/skus/{sku.pk}/stock/adjust", a["key"], {"delta": -26}), 400)
    assert_error(call(client, "put", f"/api/v1/skus/{sku.pk}/stock", a["key"], {"stock": -1}), 422)
    sku.refresh_from_db()
    assert sku.stock == 25


def test_stock_low_event_when_stock_falls_under_the_threshold(client, world, settings):
    settings.FENXIAO_STOCK_LOW_THRESHOLD = 5
    a = world["a"]
    call(client, "put", f"/api/v1/skus/{a['sku'].pk}/stock", a["key"], {"stock": 4})
    call(client, "put", f"/api/v1/skus/{a['sku'].pk}/stock", a["key"], {"stock": 3})
    events = OutboxEvent.objects.filter(topic="stock.low")
    assert [e.payload["stock"] for e in events] == [4]  # once per crossing
    assert events.get().payload["brand_id"] == a["brand"].pk


def test_price_set_with_band_rules(client, world):
    a = world["a"]
    url = f"/api/v1/skus/{a['sku'].pk}/price"
    response = call(
        client, "put", url, a["key"], {"retail_price": 3000, "price_min": 2500, "price_max": 3500}
    )
    assert response.status_code == 200 and response.json()["retail_price"] == 3000
    error = assert_error(call(client, "put", url, a["key"], {"retail_price": 3000, "price_max": 2000}), 400)
    assert "highest distributor price" in error["message"]
    assert_error(call(client, "put", url, a["key"], {"retail_price": "x"}), 422, "validation_error")
    assert Sku.objects.get(pk=a["sku"].pk).price_max == 3500


def test_orders_list_filters_and_detail(client, world):
    a = world["a"]
    order, other = a["order"], a["aftersale"].order  # both paid; the second one later

    def numbers(query: str) -> list[str]:
        return [o["order_no"] for o in call(client, "get", "/api/v1/orders" + query, a["key"]).json()["data"]]

    assert numbers("?status=paid") == [other.order_no, order.order_no]  # newest first
    assert numbers("?status=shipped") == []
    since = order.created_at.isoformat().replace("+00:00", "Z")
    assert numbers(f"?created_from={since}") == [other.order_no, order.order_no]
    assert numbers(f"?created_to={since}") == []
    later = other.created_at.isoformat().replace("+00:00", "Z")
    assert numbers(f"?created_from={since}&created_to={later}") == [order.order_no]
    assert numbers(f"?updated_since={later}") == [other.order_no]
    assert_error(
        call(client, "get", "/api/v1/orders?created_from=2026-01-01T00:00:00", a["key"]), 400, "invalid"
    )
    assert_error(call(client, "get", "/api/v1/orders?created_from=yesterday", a["key"]), 422)
    detail = call(client, "get", f"/api/v1/orders/{order.order_no}", a["key"]).json()
    assert detail["lines"][0]["quantity"] == 2 and detail["paid_at"]
    assert_error(call(client, "get", "/api/v1/orders/NOPE", a["key"]), 404)


def test_ship_order_through_fulfilment(client, world):
    a = world["a"]
    order = a["order"]
    url = f"/api/v1/orders/{order.order_no}/shipments"
    assert_error(call(client, "post", url, a["key"], {"carrier": ""}), 422)
    line = order.lines.get()
    assert_error(
        call(
            client,
            "post",
            url,
            a["key"],
            {"carrier": "SF", "tracking_no": "1", "lines": [{"line_id": line.pk, "quantity": 9}]},
        ),
        400,
    )
    response = call(client, "post", url, a["key"], {"carrier": "SF", "tracking_no": "SF123"})
    assert response.status_code == 201, response.content
    assert (
        response.json()["status"] == OrderStatus.SHIPPED
        and response.json()["shipments"][0]["carrier"] == "shunfeng"
    )
    assert OutboxEvent.objects.filter(topic="order.shipped", payload__order_id=order.pk).exists()
    shipped_by = order.shipments.get().shipped_by
    assert shipped_by == a["app"].service_user
    assert_error(
        call(client, "post", url, a["key"], {"carrier": "SF", "tracking_no": "2"}), 409, "invalid_state"
    )


def test_distributors_list_and_approve(client, world):
    a = world["a"]
    membership = a["membership"]
    data = call(client, "get", "/api/v1/distributors?status=applied", a["key"]).json()
    assert [d["id"] for d in data["data"]] == [membership.pk]
    url = f"/api/v1/distributors/{membership.pk}/approve"
    response = call(client, "post", url, a["key"])
    assert response.status_code == 200 and response.json()["status"] == "approved"
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.APPROVED
    assert_error(call(client, "post", url, a["key"]), 409, "invalid_state")
    assert_error(call(client, "get", "/api/v1/distributors?status=bogus", a["key"]), 422)


def test_commissions_list(client, world):
    a = world["a"]
    data = call(client, "get", "/api/v1/commissions", a["key"]).json()
    assert [c["id"] for c in data["data"]] == [a["commission"].pk]
    assert data["data"][0]["order_no"] == a["order"].order_no
    assert call(client, "get", "/api/v1/commissions?status=available", a["key"]).json()["data"] == []
    assert_error(call(client, "get", "/api/v1/commissions?distributor_id=x", a["key"]), 422)


def test_committed_openapi_document_is_current():
    """docs/openapi-v1.json is what `manage.py export_openapi` writes; regenerate it after an API change."""
    from pathlib import Path

    from django.conf import settings

    from fenxiao.openapi.management.commands.export_openapi import document

    assert (Path(settings.BASE_DIR) / "docs" / "openapi-v1.json").read_text(encoding="utf-8") == document()


def test_aftersales_list_and_decide(client, world):
    a = world["a"]
    request = a["aftersale"]
    data = call(client, "get", "/api/v1/aftersales?status=requested", a["key"]).json()
    assert [r["request_no"] for r in data["data"]] == [request.request_no]
    url = f"/api/v1/aftersales/{request.request_no}/decision"
    assert_error(call(client, "post", url, a["key"], {"action": "maybe"}), 422, "validation_error")
    error = assert_error(call(client, "post", url, a["key"], {"action": "reject"}), 400, "invalid")
    assert error["message"]  # a rejection needs a reason
    response = call(client, "post", url, a["key"], {"action": "reject", "note": "used"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert_error(call(client, "post", url, a["key"], {"action": "confirm_return"}), 400)
    assert_error(
        call(client, "post", "/api/v1/aftersales/AS000/decision", a["key"], {"action": "approve"}), 404
    )
    assert_error(call(client, "get", "/api/v1/aftersales?status=nope", a["key"]), 422)


def test_members_list_detail_and_tags(client, world):
    a = world["a"]
    member = a["member"]
    data = call(client, "get", "/api/v1/members", a["key"]).json()
    assert member.pk in [m["id"] for m in data["data"]]
    url = f"/api/v1/members/{member.pk}"
    assert call(client, "get", url, a["key"]).json()["tags"] == []
    response = call(client, "post", f"{url}/tags", a["key"], {"tag": "VIP"})
    assert response.status_code == 200 and response.json()["tags"] == ["VIP"]
    assert [m["id"] for m in call(client, "get", "/api/v1/members?tag=VIP", a["key"]).json()["data"]] == [
        member.pk
    ]
    assert_error(call(client, "post", f"{url}/tags", a["key"], {"tag": ""}), 422, "validation_error")
    assert_error(call(client, "post", f"{url}/tags", a["key"], {"tag": " "}), 400, "invalid")
    assert_error(call(client, "get", "/api/v1/members/99999999", a["key"]), 404)
