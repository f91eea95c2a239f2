"""Every dashboard and export route (read from the URL configuration): each brand sees its own
numbers only, a distributor its own, the platform page staff only; CSV / XLSX of every table."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.analytics import dashboards
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.jobs import run_pending
from fenxiao.core.testing import fill_route, routes_of_module
from fenxiao.distribution import services
from fenxiao.distribution.models import LinkKind
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db
VIEWS = "fenxiao.analytics.views"

# route -> who may see it: "brand" (brand staff with orders.view), "distributor", "platform" (is_staff)
MATRIX = {
    "console/b/<int:brand_id>/analytics/": "brand",
    "console/b/<int:brand_id>/analytics/export/<slug:table>/<slug:fmt>/": "brand",
    "analytics/d/": "distributor",
    "analytics/d/export/<slug:table>/<slug:fmt>/": "distributor",
    "analytics/platform/": "platform",
    "analytics/platform/export/<slug:table>/<slug:fmt>/": "platform",
}
KIND_TABLES = {"brand": "brand", "distributor": "distributor", "platform": "platform"}


def sale(title: str, store: str, province: str, price: int):
    sku = SkuFactory(product=ProductFactory(title=title), retail_price=price, stock=20)
    member = distributor_of(sku.brand)
    member.distributor.distributor.store_name = store
    member.distributor.distributor.save()
    link = services.share_link(distributor=member.distributor, brand=sku.brand, kind=LinkKind.STORE)
    buyer = AddressFactory(province=province)
    services.record_visit(link=link, visitor=buyer.consumer)
    pay_checkout(place_order(consumer=buyer.consumer, address_id=buyer.pk, items=[(sku.pk, 2)]))
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    return {"sku": sku, "owner": owner, "distributor": member.distributor, "buyer": buyer.consumer}


@pytest.fixture
def world():
    a = sale("甲的红茶", "甲的小店", "浙江省", 4321)
    b = sale("乙的白茶", "乙的小店", "广东省", 8765)
    run_pending()
    return {"a": a, "b": b}


def test_every_route_has_a_matrix_entry():
    assert set(routes_of_module(VIEWS)) == set(MATRIX)


def _urls(route: str, brand_id: int, kind: str) -> list[str]:
    if "<slug:table>" not in route:
        return [fill_route(route, {"brand_id": brand_id})]
    return [
        fill_route(route, {"brand_id": brand_id, "table": table, "fmt": fmt})
        for table in dashboards.TABLES[KIND_TABLES[kind]]
        for fmt in ("csv", "xlsx")
    ]


def _text(response) -> str:
    if response.status_code != 200:
        return ""
    if response["Content-Type"].startswith("application/vnd.openxml"):
        book = load_workbook(io.BytesIO(response.content))
        return " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row)
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_a_sees_only_a(client, world, route):
    a = world["a"]
    kind = MATRIX[route]
    viewer = {"brand": a["owner"].user, "distributor": a["distributor"], "platform": None}[kind]
    if viewer is None:
        viewer = UserFactory(is_staff=True)
    client.force_login(viewer)
    for url in _urls(route, a["sku"].brand_id, kind):
        response = client.get(url)
        assert response.status_code == 200, url
        body = _text(response)
        if kind == "platform":
            assert a["sku"].brand.name in body or "periods" in url or "channel" in url or "province" in url
            continue
        assert "乙的白茶" not in body and "乙的小店" not in body and "175.30" not in body, url
        if "product" in url or url.endswith("/analytics/"):
            assert "甲的红茶" in body, url
        if "customers" in url:
            assert a["buyer"].masked_phone in body and a["buyer"].phone not in body


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_others_are_refused(client, world, route):
    a, b = world["a"], world["b"]
    kind = MATRIX[route]
    for url in _urls(route, a["sku"].brand_id, kind)[:2]:
        client.logout()
        assert client.get(url).status_code == 302  # sign in first
        if kind == "brand":
            client.force_login(b["owner"].user)  # another brand's owner
            assert client.get(url).status_code == 404
            client.force_login(a["distributor"])  # a distributor is not brand staff
            assert client.get(url).status_code == 404
        elif kind == "distributor":
            client.force_login(a["owner"].user)  # not a distributor
            assert client.get(url).status_code == 404
        else:
            client.force_login(a["owner"].user)  # brand staff are not platform staff
            assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", list(BrandRole))
def test_every_role_with_orders_view_opens_the_dashboard(client, world, role):
    staff = BrandStaffFactory(brand=world["a"]["sku"].brand, role=role)
    client.force_login(staff.user)
    assert client.get(f"/console/b/{staff.brand_id}/analytics/").status_code == 200


def test_dashboard_numbers_charts_and_previous_period(client, world):
    a = world["a"]
    client.force_login(a["owner"].user)
    body = client.get(f"/console/b/{a['sku'].brand_id}/analytics/").content.decode()
    assert body.count("<svg") >= 3 and "polyline" in body and "funnel-chart" in body
    assert "¥86.42" in body  # 2 × ¥43.21 paid
    assert "浙江省" in body and "甲的小店" in body


def test_bad_ranges_are_explained(client, world):
    client.force_login(world["a"]["owner"].user)
    url = f"/console/b/{world['a']['sku'].brand_id}/analytics/"
    response = client.get(url, {"start": "2026-03-10", "end": "2026-03-01"})
    assert (
        response.status_code == 400
        and "end date" in response.content.decode().lower()
        or "结束" in response.content.decode()
    )
    assert client.get(url, {"start": "yesterday", "end": "2026-03-01"}).status_code == 400
    assert (
        client.get(url + "export/periods/csv/", {"start": "2020-01-01", "end": "2026-01-01"}).status_code
        == 400
    )
    assert client.get(url + "export/nope/csv/").status_code == 404
    assert client.get(url + "export/periods/pdf/").status_code == 404
