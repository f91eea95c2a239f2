"""Tenancy and role matrices for every catalog console URL and console API route.

The route lists are read from the URL configuration, so a new route without an entry in
``KWARGS`` fails these tests instead of going untested."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.models import ProductImage
from fenxiao.core.testing import fill_route, walk_urls

from .factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

CATALOG_VIEW_MODULE = "fenxiao.catalog.console_views"
API_PREFIX = "api/console/"


def catalog_console_routes() -> list[str]:
    return sorted(
        route
        for route, entry in walk_urls()
        if getattr(entry.callback, "__module__", "") == CATALOG_VIEW_MODULE
    )


def catalog_api_routes() -> list[str]:
    return sorted(route for route, _ in walk_urls() if route.startswith(API_PREFIX) and "/brands/" in route)


@pytest.fixture
def world():
    staff_a = BrandStaffFactory(role=BrandRole.OWNER)
    staff_b = BrandStaffFactory(role=BrandRole.OWNER)
    product_b = ProductFactory(brand=staff_b.brand)
    sku_b = SkuFactory(product=product_b)
    image_b = ProductImage.objects.create(product=product_b, image="x.jpg", thumbnail="x.jpg")
    product_a = ProductFactory(brand=staff_a.brand)
    sku_a = SkuFactory(product=product_a)
    image_a = ProductImage.objects.create(product=product_a, image="a.jpg", thumbnail="a.jpg")
    return {
        "a": staff_a,
        "b": staff_b,
        "b_values": {
            "brand_id": staff_b.brand_id,
            "product_id": product_b.pk,
            "image_id": image_b.pk,
            "sku_id": sku_b.pk,
        },
        "a_values": {
            "brand_id": staff_a.brand_id,
            "product_id": product_a.pk,
            "image_id": image_a.pk,
            "sku_id": sku_a.pk,
        },
        "a_objects_of_b": {
            "brand_id": staff_a.brand_id,
            "product_id": product_b.pk,
            "image_id": image_b.pk,
            "sku_id": sku_b.pk,
        },
    }


def test_route_lists_are_not_empty():
    assert len(catalog_console_routes()) >= 8
    assert len(catalog_api_routes()) >= 4


@pytest.mark.parametrize("route", catalog_console_routes())
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_brands_staff_gets_404_on_every_console_url(client, world, route, method):
    client.force_login(world["a"].user)
    response = getattr(client, method)(fill_route(route, world["b_values"]))
    assert response.status_code in (404, 405), (route, response.status_code)


@pytest.mark.parametrize("route", [r for r in catalog_console_routes() if "product_id" in r])
@pytest.mark.parametrize("method", ["get", "post"])
def test_own_brand_url_with_other_brands_object_is_404(client, world, route, method):
    client.force_login(world["a"].user)
    response = getattr(client, method)(fill_route(route, world["a_objects_of_b"]))
    assert response.status_code in (404, 405), (route, response.status_code)


@pytest.mark.parametrize("route", catalog_console_routes())
def test_anonymous_is_sent_to_sign_in(client, world, route):
    response = client.get(fill_route(route, world["b_values"]))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response.url.startswith("/accounts/signin/")


@pytest.mark.parametrize(
    "route",
    [r for r in catalog_console_routes() if "delete" not in r and "status" not in r and "images/" not in r],
)
def test_own_staff_can_open_every_page(client, world, route):
    client.force_login(world["a"].user)
    response = client.get(fill_route(route, world["a_values"]))
    assert response.status_code == 200, (route, response.status_code)


API_BODIES = {
    "post": {"title": "x", "skus": [{"retail_price": 100, "stock": 1}], "status": "off_shelf"},
    "patch": {"title": "changed", "stock": 7},
}


@pytest.mark.parametrize("route", catalog_api_routes())
@pytest.mark.parametrize("method", ["get", "post", "patch"])
@pytest.mark.parametrize("values", ["b_values", "a_objects_of_b"])
def test_api_never_reaches_other_brands_data(client, world, route, method, values):
    client.force_login(world["a"].user)
    url = fill_route(route, world[values])
    if values == "a_objects_of_b" and url.rstrip("/").endswith("/products") and method != "patch":
        pytest.skip("the collection of one's own brand is not another brand's data")
    response = getattr(client, method)(url, API_BODIES.get(method), content_type="application/json")
    assert response.status_code in (404, 405), (url, method, response.status_code)
    assert world["b"].brand.products.get().title != "changed"


ROLE_CAN_PRICE = {
    BrandRole.OWNER: True,
    BrandRole.ADMIN: True,
    BrandRole.OPERATIONS: True,
    BrandRole.CUSTOMER_SERVICE: False,
    BrandRole.FINANCE: False,
}


@pytest.mark.parametrize(("role", "allowed"), ROLE_CAN_PRICE.items())
def test_who_may_change_prices_through_bulk_edit(client, role, allowed):
    staff = BrandStaffFactory(role=role)
    sku = SkuFactory(product__brand=staff.brand, retail_price=1000)
    client.force_login(staff.user)
    response = client.post(
        f"/console/b/{staff.brand_id}/products/bulk/",
        {
            f"sku-{sku.pk}-stock": sku.stock,
            f"sku-{sku.pk}-retail_price": "12.00",
            f"sku-{sku.pk}-price_min": "12.00",
            f"sku-{sku.pk}-price_max": "12.00",
        },
    )
    sku.refresh_from_db()
    assert (sku.retail_price == 1200) is allowed
    if not allowed:
        assert response.status_code == 400
        assert "may not do this" in response.content.decode()


@pytest.mark.parametrize(("role", "allowed"), ROLE_CAN_PRICE.items())
def test_who_may_change_prices_through_api(client, role, allowed):
    staff = BrandStaffFactory(role=role)
    sku = SkuFactory(product__brand=staff.brand, retail_price=1000)
    client.force_login(staff.user)
    response = client.patch(
        f"/api/console/brands/{staff.brand_id}/skus/{sku.pk}",
        {"retail_price": 1200, "price_min": 1200, "price_max": 1200},
        content_type="application/json",
    )
    assert response.status_code == (200 if allowed else 403)
    sku.refresh_from_db()
    assert (sku.retail_price == 1200) is allowed


def test_customer_service_sees_products_but_cannot_edit_them(client):
    staff = BrandStaffFactory(role=BrandRole.CUSTOMER_SERVICE)
    sku = SkuFactory(product__brand=staff.brand)
    client.force_login(staff.user)
    assert client.get(f"/console/b/{staff.brand_id}/products/").status_code == 200
    assert client.get(f"/console/b/{staff.brand_id}/products/{sku.product_id}/").status_code == 200
    assert (
        client.post(f"/console/b/{staff.brand_id}/products/{sku.product_id}/", {"title": "x"}).status_code
        == 403
    )
    assert client.get(f"/console/b/{staff.brand_id}/products/new/").status_code == 403
    assert (
        client.post(
            f"/console/b/{staff.brand_id}/products/{sku.product_id}/status/", {"status": "off_shelf"}
        ).status_code
        == 403
    )


def test_a_person_may_be_staff_of_two_brands(client):
    first = BrandStaffFactory(role=BrandRole.OPERATIONS)
    second = BrandStaffFactory(role=BrandRole.FINANCE, user=first.user)
    client.force_login(first.user)
    assert client.get(f"/console/b/{first.brand_id}/products/new/").status_code == 200
    assert client.get(f"/console/b/{second.brand_id}/products/new/").status_code == 403


def test_stranger_sees_no_console(client):
    staff = BrandStaffFactory()
    client.force_login(UserFactory())
    assert client.get(f"/console/b/{staff.brand_id}/products/").status_code == 404


def png_bytes(size=(20, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, "PNG")
    return out.getvalue()
