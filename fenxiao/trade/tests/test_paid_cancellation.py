"""A paid order refunded in full before anything of it shipped becomes *cancelled*: the state
machine, stock given back exactly once, the ledger, commission, events, the data cube, the pages."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.aftersales.models import Kind, Reason
from fenxiao.aftersales.services import create_request
from fenxiao.aftersales.state import AftersalesError
from fenxiao.analytics import selectors as cube
from fenxiao.analytics.periods import DateRange
from fenxiao.analytics.selectors import Scope
from fenxiao.analytics.tests.test_rollups import assert_cube_equals_direct
from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import OutboxEvent
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Commission
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.trade import fulfilment, orders, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order, OrderStatus, ShippingRule

from .factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db
S = OrderStatus


@pytest.fixture
def sold():
    """A paid order of 2 × ¥50.00 + ¥8.00 shipping through a distributor (10% commission)."""
    sku = SkuFactory(retail_price=5000, stock=10)
    program = distribution.program_for(sku.brand)
    program.level1_bps = 1000
    program.save()
    seller = distributor_of(sku.brand).distributor
    address = AddressFactory()
    distribution.record_visit(
        link=distribution.share_link(distributor=seller, brand=sku.brand), visitor=address.consumer
    )
    ShippingRule.objects.create(brand=sku.brand, flat_fee=800)
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 2)])
    pay_checkout(checkout)
    order = checkout.orders.get()
    assert order.paid_amount == 10800 and Sku.objects.get(pk=sku.pk).stock == 8
    staff = BrandStaffFactory(brand=sku.brand, role=BrandRole.OPERATIONS)
    return SimpleNamespace(sku=sku, order=order, staff=staff, consumer=address.consumer)


def _stock(s) -> int:
    return Sku.objects.get(pk=s.sku.pk).stock


def _refund(s, amount: int, reference: str):
    refund = refunds.refund_order(order_id=s.order.pk, amount=amount, reason="退款", reference=reference)
    s.order.refresh_from_db()
    return refund


def _ship(s, **extra):
    return fulfilment.ship(actor=s.staff, order_id=s.order.pk, carrier="顺丰", tracking_no="SF1", **extra)


def test_the_state_machine_table():
    table = orders.ALLOWED
    assert table == {
        S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
        S.PAID: {S.SHIPPED, S.CANCELLED},
        S.SHIPPED: {S.COMPLETED},
        S.COMPLETED: set(),
        S.CANCELLED: set(),
    }
    assert set(orders.EVENTS) == set(orders.TIMESTAMPS) == {S.PAID, S.SHIPPED, S.COMPLETED, S.CANCELLED}


def test_paid_to_cancelled_only_when_refunded_in_full_and_nothing_shipped(sold):
    _refund(sold, 10799, "almost")
    with pytest.raises(TradeError, match="refunding it in full before anything ships"):
        orders.transition(orders.lock_order(sold.order.pk), S.CANCELLED, actor_label="system")
    sold.order.refresh_from_db()
    assert sold.order.status == S.PAID and sold.order.transitions.count() == 1


def test_full_refund_before_shipping_cancels_the_order_once(sold):
    _refund(sold, sold.order.paid_amount, "all")
    order = sold.order
    assert order.status == S.CANCELLED and order.refunded_amount == order.paid_amount
    assert order.paid_at is not None and order.cancelled_at is not None
    assert list(order.transitions.values_list("from_status", "to_status", "actor_label", "reason")) == [
        ("pending_payment", "paid", "payment", order.checkout.payment.out_trade_no),
        ("paid", "cancelled", "system", "refunded in full before shipping"),
    ]
    assert _stock(sold) == 10  # both units back, once
    commission = Commission.objects.get(order=order)
    assert commission.amount == 1000 and commission.reversed_amount == 1000
    assert ledger.balance(AccountCode.GATEWAY_CASH) == 0
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()
    assert OutboxEvent.objects.filter(topic="order.cancelled", payload__order_id=order.pk).count() == 1
    with pytest.raises(TradeError, match="Only a paid order can be shipped"):
        _ship(sold)
    with pytest.raises(TradeError, match="cannot become"):
        orders.cancel_order(order.pk, actor=sold.consumer)
    with pytest.raises(TradeError, match="more than"):
        _refund(sold, 1, "again")
    run_pending()  # the event consumers (CRM, webhooks, data cube) run; nothing comes back twice
    assert _stock(sold) == 10 and ledger.trial_balance() == 0


def test_refunds_adding_up_to_everything_cancel_on_the_last(sold):
    _refund(sold, 3000, "first")
    assert sold.order.status == S.PAID and _stock(sold) == 8  # a partial refund: still to ship
    _refund(sold, sold.order.paid_amount - 3000, "rest")
    assert sold.order.status == S.CANCELLED and _stock(sold) == 10
    assert ledger.trial_balance() == 0


def test_an_order_that_shipped_something_is_not_cancelled(sold):
    line = sold.order.lines.get()
    _ship(sold, quantities={line.pk: 1})
    _refund(sold, sold.order.paid_amount, "all")
    # one unit is with the consumer; the other will not ship: back to stock, the order shipped
    assert sold.order.status == S.SHIPPED and _stock(sold) == 9
    assert sold.order.transitions.order_by("pk").last().reason == "refunded in full: the rest will not ship"
    with pytest.raises(TradeError, match="Only a paid order can be shipped"):
        _ship(sold)
    fulfilment.confirm_receipt(consumer=sold.consumer, order_id=sold.order.pk)
    clock.advance(timedelta(days=30))
    assert fulfilment.settle(sold.order.pk) is not None
    assert Commission.objects.get(order=sold.order).reversed_amount == 1000
    assert _stock(sold) == 9 and ledger.trial_balance() == 0 and ledger.balances_match_lines()
    shipped = place_order(
        consumer=sold.consumer, address_id=AddressFactory(consumer=sold.consumer).pk, items=[(sold.sku.pk, 1)]
    )
    pay_checkout(shipped)
    other = SimpleNamespace(**{**vars(sold), "order": shipped.orders.get()})
    _ship(other)
    _refund(other, other.order.paid_amount, "all")
    assert other.order.status == S.SHIPPED and _stock(sold) == 8
    assert ledger.trial_balance() == 0


def test_a_late_payment_refund_of_a_cancelled_order_gives_nothing_back_again():
    sku = SkuFactory(retail_price=5000, stock=10)
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 3)])
    order = checkout.orders.get()
    orders.cancel_order(order.pk, actor=address.consumer)
    assert Sku.objects.get(pk=sku.pk).stock == 10
    pay_checkout(checkout)  # arrives late: refunded automatically
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_amount == order.paid_amount
    assert order.transitions.count() == 1 and Sku.objects.get(pk=sku.pk).stock == 10


def test_the_data_cube_counts_the_payment_and_the_refund_once(sold):
    start = timezone.localdate(clock.now()) - timedelta(days=1)
    _refund(sold, sold.order.paid_amount, "all")
    run_pending()
    period = DateRange(start, timezone.localdate(clock.now()) + timedelta(days=1))
    totals = cube.summary(Scope(brand_id=sold.order.brand_id), period)
    assert (totals["orders"], totals["paid_orders"], totals["paid_amount"]) == (1, 1, 10800)
    assert (totals["refunds"], totals["refund_amount"]) == (1, 10800)
    assert_cube_equals_direct(sold.order.brand, [period])


def test_pages_show_the_cancellation_and_its_reason(client, sold):
    _refund(sold, sold.order.paid_amount, "all")
    client.force_login(sold.staff.user)
    url = f"/console/b/{sold.order.brand_id}/orders/{sold.order.pk}/"
    page = client.get(url).content.decode()
    assert "Cancelled" in page and "refunded in full before shipping" in page and 'id="ship-form"' not in page
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "发货前已全额退款" in zh
    response = client.post(url + "ship/", {"carrier": "shunfeng", "tracking_no": "y"})
    assert response.status_code == 400 and "Only a paid order can be shipped" in response.content.decode()
    client.force_login(sold.consumer)
    mine = client.get(f"/trade/orders/{sold.order.pk}/").content.decode()
    assert "Cancelled" in mine and "refunded in full before shipping" in mine
    assert 'id="aftersales-apply"' not in mine
    with pytest.raises(AftersalesError, match="no after-sales request is possible"):
        create_request(
            consumer=sold.consumer,
            order_id=sold.order.pk,
            line_id=None,
            kind=Kind.REFUND_ONLY,
            reason=Reason.CHANGED_MIND,
            amount=100,
        )
    assert Order.objects.get(pk=sold.order.pk).status == S.CANCELLED
