from datetime import UTC, datetime, timedelta

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import OutboxEvent
from fenxiao.crm import members as member_services
from fenxiao.crm import points
from fenxiao.crm.models import LoyaltySettings, Member, PointsEntry, PointsKind
from fenxiao.ledger import selectors as ledger
from fenxiao.trade import fulfilment, orders, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import OrderStatus, ShippingRule
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import LevelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    tea = SkuFactory(retail_price=3333, stock=50, product__title="绿茶")
    cup = SkuFactory(product__brand=tea.brand, retail_price=6667, stock=50, product__title="茶杯")
    ShippingRule.objects.create(brand=tea.brand, flat_fee=800)
    LoyaltySettings.objects.create(brand=tea.brand, points_per_yuan=2, point_value_fen=1, redeem_cap_bps=1000)
    address = AddressFactory()
    return {"tea": tea, "cup": cup, "brand": tea.brand, "consumer": address.consumer, "address": address}


def _set_now(when: datetime) -> None:
    clock.advance(when - clock.now())


def _buy(shop, *, points_wanted=0, tea=1, cup=1):
    return place_order(
        consumer=shop["consumer"],
        address_id=shop["address"].pk,
        items=[(shop["tea"].pk, tea), (shop["cup"].pk, cup)],
        options={"points": {shop["brand"].pk: points_wanted}},
    )


def _complete(shop, order):
    staff = BrandStaffFactory(brand=order.brand, role=BrandRole.OPERATIONS)
    fulfilment.ship(actor=staff, order_id=order.pk, carrier="SF", tracking_no="1")
    fulfilment.confirm_receipt(consumer=shop["consumer"], order_id=order.pk)
    run_pending()


def _member(shop) -> Member:
    return Member.objects.get(brand=shop["brand"], consumer=shop["consumer"])


def test_first_order_creates_member_once_with_event(shop):
    _buy(shop)
    _buy(shop)
    member = _member(shop)
    assert member.source_channel == "order"
    events = OutboxEvent.objects.filter(topic="member.created")
    assert events.count() == 1 and events.get().payload["member_id"] == member.pk


def test_points_earned_on_completion_not_payment_and_stats(shop):
    checkout = _buy(shop)
    pay_checkout(checkout)
    run_pending()
    member = _member(shop)
    assert (member.order_count, member.total_paid, member.points_balance) == (1, 10800, 0)
    _complete(shop, checkout.orders.get())
    member.refresh_from_db()
    # goods paid 100.00 yuan (shipping not counted) × 2 points per yuan
    assert member.points_balance == 200 and member.growth == 100
    entry = member.points_entries.get()
    assert (entry.kind, entry.delta, entry.balance_after) == (PointsKind.EARN, 200, 200)
    run_pending()  # a redelivered event never earns twice
    assert member.points_entries.count() == 1


def test_refund_reverses_points_pro_rata_and_ledger_stays_balanced(shop):
    checkout = _buy(shop)
    pay_checkout(checkout)
    order = checkout.orders.get()
    _complete(shop, order)
    refunds.refund_order(order_id=order.pk, amount=2500, reason="部分", reference="r1")
    refunds.refund_order(order_id=order.pk, amount=2500, reason="部分", reference="r2")
    member = _member(shop)
    assert member.points_balance == 100  # half of 10000 fen goods refunded → half of 200 points
    assert [e.delta for e in member.points_entries.filter(kind=PointsKind.REVERSE)] == [-50, -50]
    assert member.total_paid == 10800 - 5000
    assert ledger.trial_balance() == 0


def test_redeem_within_cap_spread_by_largest_remainder_and_commission_base(shop):
    member = member_services.ensure_member(
        brand_id=shop["brand"].pk, consumer=shop["consumer"], channel="link"
    )
    Member.objects.filter(pk=member.pk).update(points_balance=5000)
    checkout = _buy(shop, points_wanted=5000)
    order = checkout.orders.get()
    # cap 10% of 100.00 yuan goods = 1000 fen = 1000 points
    assert order.discount_amount == 1000 and order.paid_amount == 10000 - 1000 + 800
    parts = sorted(line.discount for line in order.lines.all())
    assert parts == [333, 667] and sum(parts) == 1000
    member.refresh_from_db()
    assert member.points_balance == 4000
    assert member.points_entries.get().kind == PointsKind.REDEEM
    pay_checkout(checkout)
    _complete(shop, order)
    fulfilment.settle(order.pk)
    assert ledger.trial_balance() == 0


def test_cancelled_unpaid_order_restores_points(shop):
    member = member_services.ensure_member(
        brand_id=shop["brand"].pk, consumer=shop["consumer"], channel="link"
    )
    Member.objects.filter(pk=member.pk).update(points_balance=300)
    checkout = _buy(shop, points_wanted=300)
    member.refresh_from_db()
    assert member.points_balance == 0
    orders.cancel_order(checkout.orders.get().pk, actor=shop["consumer"])
    member.refresh_from_db()  # restored in the cancellation's own transaction (CrmExtension.on_cancelled)
    assert member.points_balance == 300
    assert member.points_entries.filter(kind=PointsKind.RESTORE).count() == 1


def test_redeeming_more_than_the_balance_uses_only_the_balance(shop):
    member = member_services.ensure_member(
        brand_id=shop["brand"].pk, consumer=shop["consumer"], channel="link"
    )
    Member.objects.filter(pk=member.pk).update(points_balance=40)
    order = _buy(shop, points_wanted=900).orders.get()
    assert order.discount_amount == 40
    member.refresh_from_db()
    assert member.points_balance == 0


def test_balance_spent_between_preview_and_order_refuses_checkout(shop):
    member = member_services.ensure_member(
        brand_id=shop["brand"].pk, consumer=shop["consumer"], channel="link"
    )
    Member.objects.filter(pk=member.pk).update(points_balance=100)
    entry = PointsEntry(member=member, kind="redeem", delta=-1, balance_after=0, reference="x", year=2026)
    with pytest.raises(ValueError):
        entry.pk = 1
        entry.save()
    with pytest.raises(TradeError):
        # another order takes the balance inside the same pricing: simulate by lowering it after pricing
        from fenxiao.trade import extensions

        class Drain(extensions.OrderExtension):
            def on_placed(self, order, priced):
                Member.objects.filter(pk=member.pk).update(points_balance=0)

        with extensions.registered_first(Drain()):
            _buy(shop, points_wanted=100)
    assert not shop["consumer"].orders.exists()


def test_level_upgrade_discount_and_free_shipping_never_downgraded(shop):
    LevelFactory(brand=shop["brand"], name="银卡", growth_threshold=50, discount_bps=500)
    LevelFactory(
        brand=shop["brand"], name="金卡", growth_threshold=1000, discount_bps=1000, free_shipping=True
    )
    checkout = _buy(shop)
    pay_checkout(checkout)
    order = checkout.orders.get()
    _complete(shop, order)
    member = _member(shop)
    assert member.level.name == "银卡"
    assert OutboxEvent.objects.filter(topic="member.level_changed").count() == 1
    second = _buy(shop).orders.get()
    assert second.discount_amount == 167 + 333  # 5% per line, half up
    assert second.shipping_amount == 800
    refunds.refund_order(order_id=order.pk, amount=order.paid_amount, reason="全部", reference="all")
    member.refresh_from_db()
    assert member.level.name == "银卡"  # not downgraded silently
    Member.objects.filter(pk=member.pk).update(growth=999)
    member.refresh_from_db()
    member_services.upgrade_level(member)
    assert member.level.name == "银卡"
    Member.objects.filter(pk=member.pk).update(growth=1000)
    member.refresh_from_db()
    member_services.upgrade_level(member)
    third = _buy(shop).orders.get()
    assert third.shipping_amount == 0 and third.discount_amount == 333 + 667


def test_points_expire_by_calendar_year(shop):
    _set_now(datetime(2025, 3, 1, 12, tzinfo=UTC))
    member = member_services.ensure_member(
        brand_id=shop["brand"].pk, consumer=shop["consumer"], channel="link"
    )
    checkout = _buy(shop)
    pay_checkout(checkout)
    _complete(shop, checkout.orders.get())  # 200 points earned in 2025
    _set_now(datetime(2026, 2, 1, 12, tzinfo=UTC))
    member.refresh_from_db()
    Member.objects.filter(pk=member.pk).update(points_balance=member.points_balance - 50)  # spent 50
    checkout = _buy(shop)
    pay_checkout(checkout)
    _complete(shop, checkout.orders.get())  # 200 more in 2026
    assert points.expire_points() == 0  # 2025's points live until the end of 2026
    _set_now(datetime(2027, 1, 1, 0, 5, tzinfo=UTC))
    assert points.expire_points() == 1
    member.refresh_from_db()
    assert member.points_balance == 200
    assert member.points_entries.get(kind=PointsKind.EXPIRE).delta == -150
    assert points.expire_points() == 0
    clock.advance(timedelta(days=400))
    run_pending()
    member.refresh_from_db()
    assert member.points_balance == 0


def test_order_status_unchanged_by_crm_failure_paths(shop):
    checkout = _buy(shop)
    assert checkout.orders.get().status == OrderStatus.PENDING_PAYMENT


def test_checkout_page_offers_points_and_charges_what_it_shows(client, shop):
    from fenxiao.trade import cart

    member = member_services.ensure_member(
        brand_id=shop["brand"].pk, consumer=shop["consumer"], channel="link"
    )
    Member.objects.filter(pk=member.pk).update(points_balance=5000)
    cart.add_to_cart(consumer=shop["consumer"], sku_id=shop["tea"].pk, quantity=1)
    cart.add_to_cart(consumer=shop["consumer"], sku_id=shop["cup"].pk, quantity=1)
    client.force_login(shop["consumer"])
    offer = client.get("/trade/checkout/").content.decode()
    assert f"?use_points={shop['brand'].pk}" in offer and "1000" in offer
    preview = client.get("/trade/checkout/", {"use_points": shop["brand"].pk})
    assert preview.context["preview"].total == 10000 - 1000 + 800
    response = client.post(
        "/trade/checkout/", {"address_id": shop["address"].pk, "use_points": shop["brand"].pk}
    )
    assert response.status_code == 302
    order = shop["consumer"].orders.get()
    assert order.paid_amount == 10000 - 1000 + 800
    member.refresh_from_db()
    assert member.points_balance == 4000
