"""Every operation of API v1, read from the generated OpenAPI document (so a new endpoint without
an entry here fails): its scope is enforced (403 without it), and brand A's app never reads or
changes brand B's objects."""

from __future__ import annotations

import json

import pytest

from fenxiao.openapi import scopes
from fenxiao.openapi.api import api_v1

from .factories import auth, make_app

pytestmark = pytest.mark.django_db

# (METHOD, path) → body to send, and for lists the field whose values name the returned objects
# together with brand B's values of that field.
MATRIX: dict[tuple[str, str], dict] = {
    ("GET", "/api/v1/products"): {"list": ("id", lambda b: {b["product"].pk})},
    ("POST", "/api/v1/products"): {
        "body": {"title": "T", "skus": [{"retail_price": 100}]},
        "creates": True,
    },
    ("GET", "/api/v1/products/{product_id}"): {},
    ("PATCH", "/api/v1/products/{product_id}"): {"body": {"title": "taken over"}},
    ("PUT", "/api/v1/skus/{sku_id}/stock"): {"body": {"stock": 1}},
    ("POST", "/api/v1/skus/{sku_id}/stock/adjust"): {"body": {"delta": -1}},
    ("PUT", "/api/v1/skus/{sku_id}/price"): {"body": {"retail_price": 1900}},
    ("GET", "/api/v1/orders"): {"list": ("order_no", lambda b: {b["order"].order_no})},
    ("GET", "/api/v1/orders/{order_no}"): {},
    ("POST", "/api/v1/orders/{order_no}/shipments"): {"body": {"carrier": "SF", "tracking_no": "1"}},
    ("GET", "/api/v1/distributors"): {"list": ("id", lambda b: {b["membership"].pk})},
    ("POST", "/api/v1/distributors/{membership_id}/approve"): {},
    ("GET", "/api/v1/commissions"): {"list": ("id", lambda b: {b["commission"].pk})},
    ("GET", "/api/v1/aftersales"): {"list": ("request_no", lambda b: {b["aftersale"].request_no})},
    ("POST", "/api/v1/aftersales/{request_no}/decision"): {"body": {"action": "approve"}},
    ("GET", "/api/v1/members"): {"list": ("id", lambda b: {b["member"].pk})},
    ("GET", "/api/v1/members/{member_id}"): {},
    ("POST", "/api/v1/members/{member_id}/tags"): {"body": {"tag": "taken over"}},
}


def operations() -> list[tuple[str, str, str]]:
    schema = api_v1.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            found.append((method.upper(), path, operation.get("x-scope", "")))
    return sorted(found)


def path_values(brand: dict) -> dict:
    return {
        "product_id": brand["product"].pk,
        "sku_id": brand["sku"].pk,
        "order_no": brand["order"].order_no,
        "membership_id": brand["membership"].pk,
        "request_no": brand["aftersale"].request_no,
        "member_id": brand["member"].pk,
    }


def request(client, method: str, path: str, key: str, values: dict, body=None):
    url = path.format(**values)
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json", **auth(key))


def snapshot(brand: dict) -> tuple:
    for name in ("product", "sku", "order", "membership", "commission", "aftersale", "member"):
        brand[name].refresh_from_db()
    return (
        brand["product"].title,
        brand["product"].status,
        brand["sku"].stock,
        brand["sku"].retail_price,
        brand["order"].status,
        brand["membership"].status,
        brand["product"].brand.products.count(),
        brand["aftersale"].status,
        sorted(brand["member"].tags.values_list("name", flat=True)),
    )


def test_every_operation_has_a_matrix_entry_and_a_scope():
    ops = operations()
    assert len(ops) >= 18
    assert {(m, p) for m, p, _ in ops} == set(MATRIX)
    for method, path, scope in ops:
        assert scope in scopes.ALL_SCOPES, (method, path)
        assert scope.endswith(":read") == (method == "GET"), (method, path, scope)


@pytest.mark.parametrize(("method", "path", "scope"), operations())
def test_missing_scope_is_403(client, world, method, path, scope):
    a = world["a"]
    resource = scope.split(":")[0]
    others = [s for s in scopes.ALL_SCOPES if not s.startswith(resource + ":")]
    _, key = make_app(a["brand"], scope_list=others, name="no-" + resource)
    before = snapshot(a)
    response = request(client, method, path, key, path_values(a), MATRIX[(method, path)].get("body"))
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "scope_missing"
    assert snapshot(a) == before
    # and the scope alone is enough to get past the check
    _, only = make_app(a["brand"], scope_list=[scope], name="only-" + scope)
    response = request(client, method, path, only, path_values(a), MATRIX[(method, path)].get("body"))
    assert response.status_code != 403, response.content


@pytest.mark.parametrize(("method", "path", "scope"), operations())
def test_brand_a_app_never_sees_or_changes_brand_b(client, world, method, path, scope):
    a, b = world["a"], world["b"]
    entry = MATRIX[(method, path)]
    before_b = snapshot(b)
    response = request(client, method, path, a["key"], path_values(b), entry.get("body"))
    if "list" in entry:
        field, b_values = entry["list"]
        assert response.status_code == 200
        returned = {item[field] for item in response.json()["data"]}
        assert returned and not returned & b_values(b)
    elif entry.get("creates"):
        assert response.status_code in (201, 400), response.content
    else:
        assert response.status_code == 404, (method, path, response.status_code, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert snapshot(b) == before_b
