"""Group-buy orders and the trade state machine: a paid order ships only once its group succeeded
(service, console, Open API), and a failed group's paid orders are refunded through the sandbox
gateway and cancelled — stock back once, ledger balanced, commission reversed, coupon and
redeemed points back.  Also the flash-sale decision for a paid order refunded in full."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.aftersales import services as aftersales
from fenxiao.aftersales.models import Kind, Reason
from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.crm.models import LoyaltySettings, Member
from fenxiao.crm.tests.factories import MemberFactory
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Commission
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.marketing import coupons, groups
from fenxiao.marketing.models import (
    Coupon,
    FlashQuota,
    FlashSale,
    Group,
    GroupSeat,
    GroupStatus,
    MemberCoupon,
    MemberCouponStatus,
)
from fenxiao.openapi.tests.factories import auth, make_app
from fenxiao.payments.models import Refund, RefundStatus
from fenxiao.trade import fulfilment, refunds
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order, OrderStatus, Shipment
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import CouponFactory, FlashSaleFactory, GroupDealFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    sku = SkuFactory(retail_price=10000, stock=100)
    program = distribution.program_for(sku.brand)
    program.level1_bps = 1000
    program.save()
    return GroupDealFactory(sku=sku, size=3, price=6000, hours=2)


def _stock(deal) -> int:
    return Sku.objects.get(pk=deal.sku_id).stock


def _seat(deal, group=None, *, address=None, pay=True, **options) -> Order:
    address = address or AddressFactory()
    order = place(
        address, [(deal.sku, 1)], group={"deal": deal.pk, "group": group.pk if group else None}, **options
    )
    if pay:
        pay_checkout(order.checkout)
        order.refresh_from_db()
    return order


def _ship_api(client, raw_key, order):
    return client.post(
        f"/api/v1/orders/{order.order_no}/shipments",
        data=json.dumps({"carrier": "SF", "tracking_no": f"SF{order.pk}"}),
        content_type="application/json",
        **auth(raw_key),
    )


def test_a_group_order_ships_only_once_its_group_succeeded(client, deal):
    owner = BrandStaffFactory(brand=deal.brand, role=BrandRole.OPERATIONS)
    _app, raw_key = make_app(deal.brand)
    leader = _seat(deal)
    group = Group.objects.get()
    friend = _seat(deal, group)
    waiting = r"can ship once its group is complete \(2 of 3 paid\)"

    with pytest.raises(TradeError, match=waiting):
        fulfilment.ship(actor=owner, order_id=leader.pk, carrier="顺丰", tracking_no="SF1")
    client.force_login(owner.user)
    base = f"/console/b/{deal.brand_id}/orders/"
    detail = client.get(f"{base}{leader.pk}/").content.decode()
    assert 'id="ship-blocked"' in detail and "(2 of 3 paid)" in detail and 'id="ship-form"' not in detail
    zh = client.get(f"{base}{leader.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "拼团成功后才能发货（已付款 2 / 3 人）" in zh
    assert "(2 of 3 paid)" in client.get(base).content.decode()  # the list says why too
    posted = client.post(f"{base}{leader.pk}/ship/", {"carrier": "顺丰", "tracking_no": "SF1"})
    assert posted.status_code == 400 and "(2 of 3 paid)" in posted.content.decode()
    response = _ship_api(client, raw_key, friend)
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_state" and "(2 of 3 paid)" in error["message"]
    assert set(error) == {"code", "message", "fields"}
    assert not Shipment.objects.exists()
    assert Order.objects.get(pk=leader.pk).status == OrderStatus.PAID

    third = _seat(deal, group)
    assert Group.objects.get(pk=group.pk).status == GroupStatus.SUCCEEDED
    assert 'id="ship-form"' in client.get(f"{base}{leader.pk}/").content.decode()
    fulfilment.ship(actor=owner, order_id=leader.pk, carrier="顺丰", tracking_no="SF1")
    assert _ship_api(client, raw_key, friend).status_code == 201
    posted = client.post(f"{base}{third.pk}/ship/", {"carrier": "顺丰", "tracking_no": "SF3"})
    assert posted.status_code == 302
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SHIPPED}


def test_the_console_list_asks_for_every_blocked_order_in_one_query(client, deal):
    """The order list's ship-blocker reasons cost the same queries for 1 group order as for 5
    (no query per order), and each order gets its own group's reason."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = BrandStaffFactory(brand=deal.brand, role=BrandRole.OPERATIONS)
    client.force_login(owner.user)
    base = f"/console/b/{deal.brand_id}/orders/"

    def list_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(base).content.decode()
        return len(queries), body

    _seat(deal)
    few, body = list_queries()
    assert body.count("(1 of 3 paid)") == 1
    first_group = Group.objects.get()
    _seat(deal, first_group)
    for _ in range(3):
        _seat(deal)  # three more groups, one paid seat each
    many, body = list_queries()
    assert many == few
    assert body.count("(2 of 3 paid)") == 2 and body.count("(1 of 3 paid)") == 3


def test_a_failed_group_refunds_and_cancels_its_paid_orders(deal):
    brand = deal.brand
    owner = BrandStaffFactory(brand=brand, role=BrandRole.OWNER)
    seller = distributor_of(brand).distributor
    leader_address, friend_address = AddressFactory(), AddressFactory()
    LoyaltySettings.objects.create(brand=brand, point_value_fen=1, redeem_cap_bps=5000)
    MemberFactory(brand=brand, consumer=leader_address.consumer, points_balance=1000)
    distribution.record_visit(
        link=distribution.share_link(distributor=seller, brand=brand), visitor=leader_address.consumer
    )
    coupon = CouponFactory(brand=brand, amount=500)
    mc = coupons.claim_coupon(consumer=leader_address.consumer, coupon_id=coupon.pk)

    leader = _seat(deal, address=leader_address, coupons=[mc.pk], points={brand.pk: 1000})
    assert leader.paid_amount == 6000 - 500 - 1000
    group = Group.objects.get()
    friend = _seat(deal, group, address=friend_address)
    unpaid = _seat(deal, group, pay=False)
    assert _stock(deal) == 97
    assert MemberCoupon.objects.get(pk=mc.pk).status == MemberCouponStatus.USED
    assert Commission.objects.get(order=leader).amount == leader.lines.get().paid_amount // 10

    clock.advance(timedelta(hours=2, minutes=1))
    assert groups.fail_expired_groups() == 1  # the refunds are queued, not yet paid
    with pytest.raises(TradeError, match="This group buy failed"):
        fulfilment.ship(actor=owner, order_id=leader.pk, carrier="顺丰", tracking_no="SF1")
    run_pending()  # the refund jobs, through the sandbox gateway, then the event consumers
    run_pending()

    assert Group.objects.get(pk=group.pk).status == GroupStatus.FAILED
    for order in (leader, friend):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED and order.refunded_amount == order.paid_amount
        last = order.transitions.last()
        assert (last.actor_label, last.reason) == ("system", "refunded in full before shipping")
        with pytest.raises(TradeError, match="Only a paid order can be shipped"):
            fulfilment.ship(actor=owner, order_id=order.pk, carrier="顺丰", tracking_no="SF1")
    assert Order.objects.get(pk=unpaid.pk).status == OrderStatus.CANCELLED
    assert _stock(deal) == 100  # each of the three units back exactly once
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 2
    assert ledger.balance(AccountCode.GATEWAY_CASH) == 0
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()
    commission = Commission.objects.get(order=leader)
    assert commission.reversed_amount == commission.amount > 0
    assert not GroupSeat.objects.filter(group=group, cancelled=False).exists()
    # The decision: the order never happened, so the member gets the coupon and the points back.
    assert MemberCoupon.objects.get(pk=mc.pk).status == MemberCouponStatus.AVAILABLE
    assert Coupon.objects.get(pk=coupon.pk).used_count == 0
    assert Member.objects.get(brand=brand, consumer=leader_address.consumer).points_balance == 1000

    groups.refund_group_order({"order_id": leader.pk, "group_id": group.pk})  # a retried job
    run_pending()
    assert _stock(deal) == 100 and Refund.objects.count() == 2 and ledger.trial_balance() == 0
    again = place(leader_address, [(deal.sku, 1)], coupons=[mc.pk])  # the coupon works again
    assert again.paid_amount == 10000 - 500


def test_a_paid_seat_refunded_by_after_sales_leaves_its_open_group(deal):
    service = BrandStaffFactory(brand=deal.brand, role=BrandRole.CUSTOMER_SERVICE)
    leader = _seat(deal)
    group = Group.objects.get()
    friend = _seat(deal, group)
    request = aftersales.create_request(
        consumer=friend.consumer,
        order_id=friend.pk,
        line_id=None,
        kind=Kind.REFUND_ONLY,
        reason=Reason.CHANGED_MIND,
        amount=friend.paid_amount,
    )
    aftersales.approve(actor=service, request_id=request.pk)
    friend.refresh_from_db()
    assert friend.status == OrderStatus.CANCELLED and _stock(deal) == 99
    group.refresh_from_db()
    assert group.status == GroupStatus.OPEN and group.paid_count == 1
    assert groups.seats_taken(group) == 1
    _seat(deal, group)
    _seat(deal, group, address=AddressFactory(consumer=friend.consumer))  # may join again
    group.refresh_from_db()
    assert group.status == GroupStatus.SUCCEEDED and group.paid_count == 3
    assert Order.objects.get(pk=leader.pk).status == OrderStatus.PAID
    assert ledger.trial_balance() == 0


def test_a_paid_flash_order_refunded_in_full_keeps_its_flash_unit():
    sku = SkuFactory(retail_price=10000, stock=10)
    sale = FlashSaleFactory(sku=sku, quantity=1, per_member_limit=1)
    address = AddressFactory()
    order = place(address, [(sku, 1)], flash=sale.pk)
    pay_checkout(order.checkout)
    refunds.refund_order(order_id=order.pk, amount=order.paid_amount, reason="x", reference="all")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and Sku.objects.get(pk=sku.pk).stock == 10
    # The decision: the sale's tally counts units sold; a sold-out sale does not reopen.
    assert FlashSale.objects.get(pk=sale.pk).sold == 1
    assert FlashQuota.objects.get(sale=sale, consumer=address.consumer).bought == 1
    with pytest.raises(TradeError, match="Sold out"):
        place(AddressFactory(), [(sku, 1)], flash=sale.pk)
