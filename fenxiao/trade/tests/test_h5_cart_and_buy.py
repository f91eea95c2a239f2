"""The H5 shop's cart and buy paths: a line can be deleted and (un)ticked, checkout buys only
the ticked lines (the others stay in the cart); a guest who taps buy signs in and comes back to
the same SKU and quantity; every page carries the platform's name and favicon."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.trade.cart import add_to_cart
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import CartItem

from .factories import AddressFactory

pytestmark = pytest.mark.django_db


def test_delete_and_tick_lines_and_checkout_buys_only_the_ticked(client):
    address = AddressFactory()
    consumer = address.consumer
    tea, towel = SkuFactory(stock=5, retail_price=1000), SkuFactory(stock=5, retail_price=3000)
    spare = SkuFactory(stock=5)
    items = [add_to_cart(consumer=consumer, sku_id=s.pk, quantity=1) for s in (tea, towel, spare)]
    client.force_login(consumer)
    assert client.post(f"/trade/cart/{items[2].pk}/", {"action": "delete"}).status_code == 302
    assert not CartItem.objects.filter(pk=items[2].pk).exists()
    client.post(f"/trade/cart/{items[1].pk}/", {"action": "select", "selected": "0"})
    page = client.get("/trade/cart/").content.decode()
    assert 'id="cart-total">¥10.00<' in page and page.count("weui-icon-success") == 1
    checkout = place_order(consumer=consumer, address_id=address.pk)
    assert [line.sku_id for o in checkout.orders.all() for line in o.lines.all()] == [tea.pk]
    assert list(CartItem.objects.filter(consumer=consumer).values_list("sku_id", flat=True)) == [towel.pk]

    other = UserFactory()
    client.force_login(other)  # another consumer's line: untouched
    client.post(f"/trade/cart/{items[1].pk}/", {"action": "delete"})
    assert CartItem.objects.filter(pk=items[1].pk).exists()


def test_nothing_ticked_is_a_clear_refusal(client):
    address = AddressFactory()
    item = add_to_cart(consumer=address.consumer, sku_id=SkuFactory(stock=5).pk, quantity=1)
    client.force_login(address.consumer)
    client.post(f"/trade/cart/{item.pk}/", {"action": "select", "selected": "0"})
    response = client.post("/trade/checkout/", {"address_id": address.pk})
    assert response.status_code == 400 and "Tick at least one item" in response.content.decode()


def test_a_guest_who_taps_buy_signs_in_and_returns_to_the_same_sku_and_quantity(client):
    sku = SkuFactory(stock=9)
    SkuFactory(product=sku.product, stock=9)
    url = f"/shop/p/{sku.product_id}/"
    response = client.get(url, {"sku_id": sku.pk, "quantity": 3, "then": "checkout"})
    assert response.status_code == 302
    target = urlparse(response["Location"])
    back = parse_qs(target.query)["next"][0]
    assert target.path == "/accounts/signin/" and back == f"{url}?sku_id={sku.pk}&quantity=3"
    client.force_login(UserFactory())
    page = client.get(back).content.decode()
    assert f'data-chosen="{sku.pk}"' in page and 'name="quantity" value="3"' in page


def test_every_page_has_the_platform_name_and_favicon(client, settings):
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "fenxiao 分销" in page
    settings.PLATFORM_NAME = "山海优选"
    assert "山海优选" in client.get("/shop/search/").content.decode()


def test_the_countdown_and_the_points_offer_read_right_in_chinese():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("zh-hans"):
        script = render_to_string("marketing/_countdown_script.html")
    assert 'dayText = "{days}天 "' in script and '"d "' not in script
    points = (Path(__file__).resolve().parents[1] / "templates/trade/_checkout_points.html").read_text()
    assert "value=available.1|yuan_plain" in points  # "−¥5.00", never "−¥¥5.00"


def test_me_page_links_each_order_tab(client):
    client.force_login(UserFactory())
    page = client.get("/accounts/me/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    for tab, label in (
        ("unpaid", "待付款"),
        ("to_ship", "待发货"),
        ("to_receive", "待收货"),
        ("aftersales", "售后"),
    ):
        assert f'href="/trade/orders/?tab={tab}"' in page and label in page


def test_the_after_sales_tab_lists_orders_with_a_request(client):
    from fenxiao.aftersales import services as aftersales
    from fenxiao.aftersales.models import Kind, Reason
    from fenxiao.aftersales.tests.factories import scene

    s, other = scene(distributor=False), scene(distributor=False)
    aftersales.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=None,
        kind=Kind.REFUND_ONLY,
        reason=Reason.CHANGED_MIND,
        amount=s.order.paid_amount,
    )
    client.force_login(s.consumer)
    page = client.get("/trade/orders/?tab=aftersales").content.decode()
    assert s.order.order_no in page and other.order.order_no not in page
    client.force_login(other.consumer)
    assert s.order.order_no not in client.get("/trade/orders/?tab=aftersales").content.decode()
