"""Couriers and tracking: a brand ships only with a courier of the list (console form, REST API,
service: anything else is refused with a clear message and nothing is written); the Kuaidi100
provider speaks the real query/subscribe protocol (signed) to a local server, and what it answers
or pushes feeds the order page's timeline."""

from __future__ import annotations

import json

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core.jobs import run_pending
from fenxiao.openapi.tests.factories import make_app
from fenxiao.openapi.tests.test_api_endpoints import assert_error, call
from fenxiao.trade import couriers, fulfilment
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import OrderStatus, Shipment, TrackingEvent
from fenxiao.trade.tracking import TrackingError, get_provider
from fenxiao.trade.tracking import services as tracking
from fenxiao.trade.tracking.kuaidi100 import callback_sign, dumps, query_sign
from fenxiao.trade.tracking.local import LocalKuaidi100

from .factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order():
    sku = SkuFactory(stock=5, retail_price=2000)
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 2)])
    pay_checkout(checkout)
    order = checkout.orders.get()
    order.owner = BrandStaffFactory(brand=order.brand, role=BrandRole.OWNER)
    return order


@pytest.fixture
def kuaidi100(settings):
    server = LocalKuaidi100(customer="CUSTOMER1", key="KEY1").start()
    settings.TRACKING_PROVIDER = "kuaidi100"
    settings.KUAIDI100_URL = server.url
    settings.KUAIDI100_CUSTOMER, settings.KUAIDI100_KEY = "CUSTOMER1", "KEY1"
    settings.KUAIDI100_SALT = "SALT1"
    yield server
    server.stop()


def test_the_courier_list_has_the_common_carriers_and_their_spellings():
    codes = {c.code for c in couriers.COURIERS}
    assert {"shunfeng", "zhongtong", "yuantong", "shentong", "yunda", "ems", "jd", "debangwuliu"} <= codes
    assert couriers.find("SF").code == couriers.find("顺丰速运").code == couriers.find(" shunfeng ").code
    assert couriers.find("fedex-moon") is None
    assert couriers.name_of("zhongtong") == "中通快递" and couriers.name_of("legacy") == "legacy"


def test_an_unknown_courier_is_refused_everywhere_and_nothing_is_written(client, paid_order):
    order, owner = paid_order, paid_order.owner
    with pytest.raises(TradeError, match="not a courier on the list"):
        fulfilment.ship(actor=owner, order_id=order.pk, carrier="fedex-moon", tracking_no="1")

    client.force_login(owner.user)
    url = f"/console/b/{order.brand_id}/orders/{order.pk}/"
    page = client.get(url).content.decode()
    assert '<select name="carrier"' in page and 'value="shunfeng"' in page and "顺丰速运" in page
    refused = client.post(url + "ship/", {"carrier": "fedex-moon", "tracking_no": "1"})
    assert (
        refused.status_code == 400 and "“fedex-moon” is not a courier on the list" in refused.content.decode()
    )
    zh = client.post(
        url + "ship/", {"carrier": "fedex-moon", "tracking_no": "1"}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert "不在快递公司列表中" in zh.content.decode()

    _app, key = make_app(order.brand, name="ERP")
    api = f"/api/v1/orders/{order.order_no}/shipments"
    error = assert_error(call(client, "post", api, key, {"carrier": "fedex-moon", "tracking_no": "1"}), 400)
    assert "not a courier on the list" in error["message"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and not Shipment.objects.exists()

    response = client.post(url + "ship/", {"carrier": "zhongtong", "tracking_no": "ZT1"})
    assert response.status_code == 302
    assert Shipment.objects.get().carrier == "zhongtong"


def test_the_provider_signs_queries_and_the_timeline_is_stored_once(paid_order, kuaidi100):
    shipment = fulfilment.ship(
        actor=paid_order.owner, order_id=paid_order.pk, carrier="SF", tracking_no="SF1"
    )
    assert shipment.carrier == "shunfeng"
    run_pending()  # the tracking job: one signed query (no callback URL configured: no subscribe)
    assert kuaidi100.queries[-1]["com"] == "shunfeng" and kuaidi100.queries[-1]["num"] == "SF1"
    events = list(TrackingEvent.objects.filter(shipment=shipment))
    assert len(events) == 4 and events[0].context.startswith("【杭州市】快递员正在派件")
    shipment.refresh_from_db()
    assert shipment.tracking_state == "5" and str(shipment.tracking_state_label) == "Out for delivery"
    assert tracking.refresh(shipment.pk) == 0  # asked again: nothing new, nothing twice
    kuaidi100.deliver("shunfeng", "SF1")
    assert tracking.refresh(shipment.pk) == 1
    shipment.refresh_from_db()
    assert shipment.tracking_state == "3"


def test_a_wrong_key_is_refused_by_the_provider(paid_order, kuaidi100, settings):
    settings.KUAIDI100_KEY = "WRONG"
    with pytest.raises(TrackingError, match="签名错误"):
        get_provider().query("shunfeng", "SF1")
    param = dumps({"com": "shunfeng", "num": "SF1"})
    assert query_sign(param, "KEY1", "CUSTOMER1") == query_sign(param, "KEY1", "CUSTOMER1").upper()


@pytest.mark.django_db(transaction=True)
def test_subscribe_and_the_signed_callback_feed_the_timeline(live_server, paid_order, kuaidi100, settings):
    settings.KUAIDI100_CALLBACK_URL = f"{live_server.url}/trade/tracking/kuaidi100/"
    shipment = fulfilment.ship(
        actor=paid_order.owner, order_id=paid_order.pk, carrier="yunda", tracking_no="YD9"
    )
    assert tracking.subscribe(shipment.pk)
    params = kuaidi100.subscriptions[("yunda", "YD9")]
    assert params["callbackurl"] == settings.KUAIDI100_CALLBACK_URL and params["salt"] == "SALT1"
    kuaidi100.deliver("yunda", "YD9")  # the local provider posts the signed push to our receiver
    shipment.refresh_from_db()
    assert shipment.tracking_state == "3" and shipment.tracking_events.count() == 5


def test_the_callback_refuses_a_bad_signature_and_writes_nothing(client, paid_order, kuaidi100):
    shipment = fulfilment.ship(
        actor=paid_order.owner, order_id=paid_order.pk, carrier="ems", tracking_no="E1"
    )
    param = dumps({"status": "polling", "lastResult": kuaidi100.result("ems", "E1")})
    bad = client.post(
        "/trade/tracking/kuaidi100/", {"param": param, "sign": callback_sign(param, "NOT-SALT")}
    )
    assert bad.status_code == 400 and bad.json()["result"] is False
    assert not TrackingEvent.objects.exists()
    good = client.post("/trade/tracking/kuaidi100/", {"param": param, "sign": callback_sign(param, "SALT1")})
    assert good.status_code == 200 and good.json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 4
    unknown = dumps({"lastResult": kuaidi100.result("ems", "NOPE")})
    assert (
        client.post(
            "/trade/tracking/kuaidi100/", {"param": unknown, "sign": callback_sign(unknown, "SALT1")}
        ).status_code
        == 400
    )
    assert json.loads(param)["lastResult"]["com"] == "ems"


def test_the_consumer_sees_the_timeline_and_tabs_with_the_right_actions(client, paid_order, kuaidi100):
    consumer = paid_order.consumer
    client.force_login(consumer)
    to_ship = client.get("/trade/orders/?tab=to_ship", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert paid_order.order_no in to_ship and "待发货" in to_ship and "申请售后" in to_ship
    assert "确认收货" not in to_ship
    fulfilment.ship(actor=paid_order.owner, order_id=paid_order.pk, carrier="SF", tracking_no="SF7")
    run_pending()
    assert paid_order.order_no not in client.get("/trade/orders/?tab=to_ship").content.decode()
    to_receive = client.get("/trade/orders/?tab=to_receive", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "确认收货" in to_receive and "查看物流" in to_receive
    detail = client.get(f"/trade/orders/{paid_order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "顺丰速运" in detail and "SF7" in detail and "派件中" in detail
    assert detail.count('class="tracking-event"') == 4
    assert paid_order.order_no in client.get("/trade/orders/?tab=bogus").content.decode()  # bogus: all
    client.force_login(UserFactory())  # another consumer: none of it in any tab, no timeline
    for tab in ("all", "unpaid", "to_ship", "to_receive", "aftersales"):
        assert paid_order.order_no not in client.get(f"/trade/orders/?tab={tab}").content.decode()
    assert client.get(f"/trade/orders/{paid_order.pk}/").status_code == 404
