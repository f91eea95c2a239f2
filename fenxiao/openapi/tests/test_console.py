"""Console pages: tenancy (other brands' staff 404) and roles (no settings.manage → 403) for every
route of the module, read from the URL configuration; the key shown once; webhook pages."""

from __future__ import annotations

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.core.events import publish
from fenxiao.core.jobs import run_pending
from fenxiao.core.testing import fill_route, routes_of_module
from fenxiao.openapi import services
from fenxiao.openapi.models import ApiApp, WebhookDelivery

pytestmark = pytest.mark.django_db
MODULE = "fenxiao.openapi.console_views"


@pytest.fixture
def console(world):
    data = {}
    for name in ("a", "b"):
        brand = world[name]
        owner = BrandStaffFactory(brand=brand["brand"], role=BrandRole.OWNER)
        hook = services.create_webhook(
            actor=owner, app_id=brand["app"].pk, url="http://127.0.0.1:9/none", topics=["order.shipped"]
        )
        publish("order.shipped", {"order_id": 1, "brand_id": brand["brand"].pk}, aggregate="order:x")
        data[name] = {"owner": owner, "hook": hook, **brand}
    run_pending(timers=False, max_jobs=50)
    for name in ("a", "b"):
        data[name]["delivery"] = WebhookDelivery.objects.filter(subscription=data[name]["hook"]).first()
    return data


def values(data: dict, brand_of: dict) -> dict:
    return {
        "brand_id": brand_of["brand"].pk,
        "app_id": data["app"].pk,
        "webhook_id": data["hook"].pk,
        "delivery_id": data["delivery"].pk,
    }


def test_routes_exist():
    assert len(routes_of_module(MODULE)) == 9


@pytest.mark.parametrize("route", routes_of_module(MODULE))
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_brands_staff_get_404(client, console, route, method):
    a, b = console["a"], console["b"]
    client.force_login(a["owner"].user)
    for brand_of in (b, a):  # B's console, and A's console naming B's objects
        url = fill_route(route, values(b, brand_of))
        response = getattr(client, method)(
            url, {"name": "x", "url": "http://example.com", "topics": ["order.paid"]}
        )
        if brand_of is a and "<int:" not in route.replace("<int:brand_id>", ""):
            continue  # A's own list page
        assert response.status_code in (404, 405), (url, response.status_code)
    b["app"].refresh_from_db()
    b["hook"].refresh_from_db()
    assert b["app"].is_active and b["hook"].is_active and b["app"].name == "ERP B"


@pytest.mark.parametrize("route", routes_of_module(MODULE))
def test_roles_without_settings_manage_get_403(client, console, route):
    a = console["a"]
    for role in (BrandRole.OPERATIONS, BrandRole.CUSTOMER_SERVICE, BrandRole.FINANCE):
        staff = BrandStaffFactory(brand=a["brand"], role=role)
        client.force_login(staff.user)
        url = fill_route(route, values(a, a))
        assert client.get(url).status_code in (403, 405)
        assert client.post(url, {"name": "x"}).status_code == 403


def test_owner_pages_render(client, console):
    a = console["a"]
    client.force_login(a["owner"].user)
    for url in (
        f"/console/b/{a['brand'].pk}/api-apps/",
        f"/console/b/{a['brand'].pk}/api-apps/{a['app'].pk}/",
        f"/console/b/{a['brand'].pk}/webhooks/{a['hook'].pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert a["key"] not in response.content.decode()
    page = client.get(f"/console/b/{a['brand'].pk}/webhooks/{a['hook'].pk}/").content.decode()
    assert f"delivery-{a['delivery'].pk}" in page


def test_create_shows_the_key_once_and_it_works(client, console):
    a = console["a"]
    client.force_login(a["owner"].user)
    response = client.post(
        f"/console/b/{a['brand'].pk}/api-apps/",
        {"name": "WMS", "scopes": ["orders:read"], "rate_limit_per_minute": 60},
    )
    assert response.status_code == 200
    html = response.content.decode()
    raw = html.split('<code id="raw-key">')[1].split("</code>")[0]
    app = ApiApp.objects.get(name="WMS")
    assert raw.startswith(f"fxk_{app.key_prefix}_") and app.scopes == ["orders:read"]
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 403
    detail = client.get(f"/console/b/{a['brand'].pk}/api-apps/{app.pk}/").content.decode()
    assert raw not in detail


def test_bad_input_is_a_form_error(client, console):
    a = console["a"]
    client.force_login(a["owner"].user)
    response = client.post(f"/console/b/{a['brand'].pk}/api-apps/", {"name": "", "rate_limit_per_minute": 0})
    assert response.status_code == 400
    response = client.post(
        f"/console/b/{a['brand'].pk}/api-apps/{a['app'].pk}/webhooks/", {"url": "ftp://x", "topics": []}
    )
    assert response.status_code == 400
    assert ApiApp.objects.filter(brand=a["brand"]).count() == 1


def test_rotate_revoke_and_resend_from_the_console(client, console):
    a = console["a"]
    client.force_login(a["owner"].user)
    base = f"/console/b/{a['brand'].pk}"
    rotated = client.post(f"{base}/api-apps/{a['app'].pk}/rotate/")
    assert rotated.status_code == 200 and 'id="raw-key"' in rotated.content.decode()
    assert client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {a['key']}").status_code == 401
    a["delivery"].status = "failed"
    a["delivery"].save(update_fields=["status"])
    assert client.post(f"{base}/webhook-deliveries/{a['delivery'].pk}/resend/").status_code == 302
    assert WebhookDelivery.objects.filter(resend_of=a["delivery"]).count() == 1
    assert client.post(f"{base}/webhooks/{a['hook'].pk}/toggle/").status_code == 302
    a["hook"].refresh_from_db()
    assert not a["hook"].is_active
    assert client.post(f"{base}/api-apps/{a['app'].pk}/revoke/").status_code == 302
    a["app"].refresh_from_db()
    assert not a["app"].is_active
