"""Flash sales (limits, window, unpaid release) and group buying (success, failure with automatic
refunds), driven through the real checkout, payment and timers."""

from datetime import timedelta

import pytest
from django.db import connection

from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.core.tests.concurrency import run_together
from fenxiao.marketing import coupons
from fenxiao.marketing.models import FlashClaim, FlashQuota, FlashSale, Group, GroupSeat, GroupStatus
from fenxiao.payments.models import Refund, RefundStatus
from fenxiao.trade import orders as trade_orders
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order, OrderStatus
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import CouponFactory, FlashSaleFactory, GroupDealFactory, PromotionFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku():
    return SkuFactory(retail_price=10000, stock=100)


def test_flash_price_and_coupon_stack_but_promotion_does_not(sku):
    sale = FlashSaleFactory(sku=sku, price=6000)
    PromotionFactory(brand=sku.brand, tiers=[[5000, 1000]])
    address = AddressFactory()
    mc = coupons.claim_coupon(
        consumer=address.consumer, coupon_id=CouponFactory(brand=sku.brand, amount=500).pk
    )
    order = place(address, [(sku, 1)], flash=sale.pk, coupons=[mc.pk])
    assert order.paid_amount == 5500  # flash 60, no 满减 on a special price, coupon 5 off
    sale.refresh_from_db()
    assert sale.sold == 1
    assert Sku.objects.get(pk=sku.pk).stock == 99


def test_flash_per_member_limit(sku):
    sale = FlashSaleFactory(sku=sku, per_member_limit=2)
    address = AddressFactory()
    with pytest.raises(TradeError):
        place(address, [(sku, 3)], flash=sale.pk)
    place(address, [(sku, 2)], flash=sale.pk)
    with pytest.raises(TradeError):
        place(address, [(sku, 1)], flash=sale.pk)
    assert FlashQuota.objects.get(sale=sale).bought == 2
    assert FlashSale.objects.get(pk=sale.pk).sold == 2 and Order.objects.count() == 1


def test_flash_quantity_is_never_exceeded(sku):
    sale = FlashSaleFactory(sku=sku, quantity=2)
    place(AddressFactory(), [(sku, 1)], flash=sale.pk)
    place(AddressFactory(), [(sku, 1)], flash=sale.pk)
    with pytest.raises(TradeError, match="Sold out"):
        place(AddressFactory(), [(sku, 1)], flash=sale.pk)
    assert FlashSale.objects.get(pk=sale.pk).sold == 2 and Order.objects.count() == 2
    assert Sku.objects.get(pk=sku.pk).stock == 98


def test_flash_window_and_pause(sku):
    later = FlashSaleFactory(sku=sku, starts_at=clock.now() + timedelta(hours=1))
    with pytest.raises(TradeError):
        place(AddressFactory(), [(sku, 1)], flash=later.pk)
    clock.advance(timedelta(hours=1, seconds=1))
    place(AddressFactory(), [(sku, 1)], flash=later.pk)
    FlashSale.objects.filter(pk=later.pk).update(paused=True)
    with pytest.raises(TradeError):
        place(AddressFactory(), [(sku, 1)], flash=later.pk)
    FlashSale.objects.filter(pk=later.pk).update(paused=False)
    clock.advance(timedelta(days=8))
    with pytest.raises(TradeError):
        place(AddressFactory(), [(sku, 1)], flash=later.pk)


def test_unpaid_flash_order_releases_its_unit_after_the_short_timeout(sku):
    sale = FlashSaleFactory(sku=sku, quantity=1, unpaid_minutes=5)
    first, second = AddressFactory(), AddressFactory()
    order = place(first, [(sku, 1)], flash=sale.pk)
    with pytest.raises(TradeError):
        place(second, [(sku, 1)], flash=sale.pk)
    clock.advance(timedelta(minutes=4))
    run_pending()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT
    clock.advance(timedelta(minutes=2))
    run_pending()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    sale.refresh_from_db()
    assert sale.sold == 0 and FlashQuota.objects.get(sale=sale).bought == 0
    assert FlashClaim.objects.get(order=order).released
    assert Sku.objects.get(pk=sku.pk).stock == 100
    place(second, [(sku, 1)], flash=sale.pk)  # the unit is back for someone else


def test_cancelling_a_flash_order_gives_the_unit_back(sku):
    sale = FlashSaleFactory(sku=sku, quantity=1)
    address = AddressFactory()
    order = place(address, [(sku, 1)], flash=sale.pk)
    trade_orders.cancel_order(order.pk)
    again = place(address, [(sku, 1)], flash=sale.pk)  # per-member count went back too
    assert FlashSale.objects.get(pk=sale.pk).sold == 1 and again.paid_amount == 5000


@pytest.mark.django_db(transaction=True)
def test_two_hundred_buyers_race_for_twenty_units():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL (SQLite serialises every writer)")
    sku = SkuFactory(retail_price=10000, stock=1000)
    sale = FlashSaleFactory(sku=sku, quantity=20, per_member_limit=1)
    addresses = [AddressFactory() for _ in range(100)]
    attempts = [a for a in addresses for _ in range(2)]  # every member presses twice

    def buyer(address):
        return lambda: place(address, [(sku, 1)], flash=sale.pk)

    results = run_together(*(buyer(a) for a in attempts), expected=(TradeError,))
    assert results.count("ok") == 20 and sum(isinstance(r, TradeError) for r in results) == 180
    assert Order.objects.count() == 20
    assert len(set(Order.objects.values_list("consumer_id", flat=True))) == 20
    assert FlashSale.objects.get(pk=sale.pk).sold == 20
    assert Sku.objects.get(pk=sku.pk).stock == 980
    assert sorted(FlashQuota.objects.filter(bought__gt=0).values_list("bought", flat=True)) == [1] * 20


def test_group_succeeds_when_size_members_paid(sku):
    deal = GroupDealFactory(sku=sku, size=3, price=6000)
    leader, friend, third = AddressFactory(), AddressFactory(), AddressFactory()
    opened = place(leader, [(sku, 1)], group={"deal": deal.pk})
    assert opened.paid_amount == 6000
    group = Group.objects.get()
    pay_checkout(opened.checkout)
    joined = place(friend, [(sku, 1)], group={"deal": deal.pk, "group": group.pk})
    pay_checkout(joined.checkout)
    group.refresh_from_db()
    assert group.status == GroupStatus.OPEN and group.paid_count == 2
    with pytest.raises(TradeError):  # one seat per consumer
        place(friend, [(sku, 1)], group={"deal": deal.pk, "group": group.pk})
    last = place(third, [(sku, 1)], group={"deal": deal.pk, "group": group.pk})
    with pytest.raises(TradeError):  # full: three seats held
        place(AddressFactory(), [(sku, 1)], group={"deal": deal.pk, "group": group.pk})
    pay_checkout(last.checkout)
    group.refresh_from_db()
    assert group.status == GroupStatus.SUCCEEDED and group.paid_count == 3
    clock.advance(timedelta(hours=25))
    run_pending()
    assert Group.objects.get(pk=group.pk).status == GroupStatus.SUCCEEDED
    assert not Refund.objects.exists()


def test_group_fails_after_its_time_limit_and_every_payment_is_refunded(sku):
    deal = GroupDealFactory(sku=sku, size=3, hours=2)
    leader, friend, late = AddressFactory(), AddressFactory(), AddressFactory()
    opened = place(leader, [(sku, 1)], group={"deal": deal.pk})
    group = Group.objects.get()
    joined = place(friend, [(sku, 1)], group={"deal": deal.pk, "group": group.pk})
    unpaid = place(late, [(sku, 1)], group={"deal": deal.pk, "group": group.pk})
    pay_checkout(opened.checkout)
    pay_checkout(joined.checkout)
    clock.advance(timedelta(hours=1, minutes=59))
    run_pending()
    assert Group.objects.get(pk=group.pk).status == GroupStatus.OPEN
    clock.advance(timedelta(minutes=2))
    run_pending()
    run_pending()  # the refund jobs the timer queued
    group.refresh_from_db()
    assert group.status == GroupStatus.FAILED
    for order in (opened, joined):
        order.refresh_from_db()
        assert order.refunded_amount == order.paid_amount == 6000  # the group price
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 2
    assert Order.objects.get(pk=unpaid.pk).status == OrderStatus.CANCELLED
    assert GroupSeat.objects.get(order=unpaid).cancelled
    with pytest.raises(TradeError):
        place(AddressFactory(), [(sku, 1)], group={"deal": deal.pk, "group": group.pk})


def test_group_seat_is_one_unit(sku):
    deal = GroupDealFactory(sku=sku)
    with pytest.raises(TradeError):
        place(AddressFactory(), [(sku, 2)], group={"deal": deal.pk})
    assert not Group.objects.exists() and not Order.objects.exists()
