"""Distributor A never sees distributor B's store, customers, orders or earnings — on every
distributor-centre page (the list is read from the URL configuration)."""

import pytest

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core.testing import fill_route, routes_of_module
from fenxiao.distribution import materials, services
from fenxiao.distribution.models import LinkKind
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import distributor_of

pytestmark = pytest.mark.django_db
CENTRE = "fenxiao.distribution.centre_views"
TOOLS = "fenxiao.distribution.tools_views"
ROUTES = routes_of_module(CENTRE) + routes_of_module(TOOLS)


@pytest.fixture
def world():
    sku = SkuFactory(retail_price=10000, price_min=9000, price_max=12000, stock=50, product__title="乙的商品")
    a, b = distributor_of(sku.brand), distributor_of(sku.brand)
    b.distributor.distributor.store_name = "乙的小店"
    b.distributor.distributor.save()
    services.set_store_price(distributor=b.distributor, sku_id=sku.pk, price=11700)
    materials.decorate_store(
        distributor=b.distributor, headline="乙的店铺标语", sections=[("乙的版块", "乙的正文")]
    )
    link = services.share_link(
        distributor=b.distributor, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
    )
    customer = UserFactory(phone="13811112222")
    services.record_visit(link=link, visitor=customer)
    checkout = place_order(
        consumer=customer, address_id=AddressFactory(consumer=customer).pk, items=[(sku.pk, 1)]
    )
    pay_checkout(checkout)
    return {"a": a, "b": b, "sku": sku, "link": link, "values": {"brand_id": sku.brand_id, "code": link.code}}


def test_every_centre_route_is_covered():
    assert len(routes_of_module(CENTRE)) >= 8


@pytest.mark.parametrize("route", ROUTES)
def test_distributor_a_never_sees_b(client, world, route):
    client.force_login(world["a"].distributor)
    response = client.get(fill_route(route, world["values"]))
    body = (
        response.content.decode()
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")
        else ""
    )
    for secret in (
        "乙的小店",
        "117.00",
        "1381111",
        "2222",
        world["link"].code,
        "11.70",
        "乙的店铺标语",
        "乙的版块",
    ):
        assert secret not in body, (route, secret)
    if "code" in route:
        assert response.status_code == 404


def test_b_sees_own_customer_masked_and_commission(client, world):
    client.force_login(world["b"].distributor)
    customers = client.get("/d/customers/").content.decode()
    assert "138****2222" in customers and "13811112222" not in customers
    assert "¥11.70" in client.get("/d/orders/").content.decode()  # 10% of the store price ¥117.00
