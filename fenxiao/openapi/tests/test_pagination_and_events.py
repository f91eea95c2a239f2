"""Cursor pages stay stable while orders arrive; stock.low and commission.available are published
in the transaction of the change."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.core.models import OutboxEvent
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import auth

pytestmark = pytest.mark.django_db


def buy(sku, quantity=1) -> Order:
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, quantity)])
    pay_checkout(checkout)
    return checkout.orders.get()


def test_cursor_pages_are_stable_with_ties_and_new_orders(client, world):
    a = world["a"]
    orders = [a["order"]] + [buy(a["sku"]) for _ in range(6)]
    same = timezone.now() - timedelta(hours=1)
    Order.objects.filter(pk__in=[o.pk for o in orders[1:5]]).update(created_at=same)  # ties on created_at
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, **auth(a["key"])).json()
        seen += [o["order_no"] for o in page["data"]]
        pages += 1
        if pages == 2:
            buy(a["sku"])  # a new order arrives while paging: it sorts before page 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8
    assert set(seen) == {o.order_no for o in orders} | {a["aftersale"].order.order_no}
    assert pages == 4
    tampered = json.dumps(["not a time", 1])
    import base64

    bad = base64.urlsafe_b64encode(tampered.encode()).decode()
    response = client.get(f"/api/v1/orders?cursor={bad}", **auth(a["key"]))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"


def test_nul_characters_are_a_400_not_a_crash(client, world):
    a = world["a"]
    response = client.get("/api/v1/orders/%00abc", **auth(a["key"]))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    response = client.patch(
        f"/api/v1/products/{a['product'].pk}",
        json.dumps({"title": "a\u0000b"}),
        content_type="application/json",
        **auth(a["key"]),
    )
    assert response.status_code == 400


def test_checkout_taking_stock_under_the_threshold_publishes_stock_low(world, settings):
    settings.FENXIAO_STOCK_LOW_THRESHOLD = 44
    a = world["a"]  # 47 left after the fixture's orders of 2 and 1
    buy(a["sku"], 2)  # 45: still not below
    assert not OutboxEvent.objects.filter(topic="stock.low").exists()
    buy(a["sku"], 2)  # 43: crossed
    buy(a["sku"], 1)  # 42: already low, no second event
    events = list(OutboxEvent.objects.filter(topic="stock.low"))
    assert [(e.payload["sku_id"], e.payload["stock"], e.payload["brand_id"]) for e in events] == [
        (a["sku"].pk, 43, a["brand"].pk)
    ]


def test_settlement_publishes_commission_available(world):
    from fenxiao.accounts.roles import BrandRole
    from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
    from fenxiao.core import clock
    from fenxiao.distribution import services as distribution
    from fenxiao.distribution.tests.factories import distributor_of
    from fenxiao.trade import fulfilment

    a = world["a"]
    owner = BrandStaffFactory(brand=a["brand"], role=BrandRole.OWNER)
    member = distributor_of(a["brand"])
    consumer = UserFactory()
    distribution.record_visit(
        link=distribution.share_link(distributor=member.distributor, brand=a["brand"]), visitor=consumer
    )
    address = AddressFactory(consumer=consumer)
    checkout = place_order(consumer=consumer, address_id=address.pk, items=[(a["sku"].pk, 1)])
    pay_checkout(checkout)
    order = checkout.orders.get()
    commission = order.commissions.get()
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="SF", tracking_no="1")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    assert not OutboxEvent.objects.filter(topic="commission.available").exists()
    clock.advance(timedelta(days=31))
    assert fulfilment.settle(order.pk) is not None
    event = OutboxEvent.objects.get(topic="commission.available")
    assert (event.payload["commission_id"], event.payload["brand_id"]) == (commission.pk, a["brand"].pk)
    assert event.payload["amount"] == commission.amount
