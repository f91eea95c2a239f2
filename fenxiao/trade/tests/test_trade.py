from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import OutboxEvent
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.payments.models import PaymentStatus, RefundStatus
from fenxiao.trade import cart, fulfilment, orders, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import CartItem, Checkout, Order, OrderLine, OrderStatus, ShippingRule

from .factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    tea = SkuFactory(retail_price=5800, price_min=5000, price_max=6800, stock=10, product__title="绿茶")
    towel = SkuFactory(retail_price=2900, stock=5, product__title="毛巾")
    ShippingRule.objects.create(
        brand=towel.brand, flat_fee=800, free_over=10000, province_fees={"新疆维吾尔自治区": 2000}
    )
    address = AddressFactory()
    return {"tea": tea, "towel": towel, "consumer": address.consumer, "address": address}


def _buy(shop, tea=1, towel=1) -> Checkout:
    items = [(shop["tea"].pk, tea)] * bool(tea) + [(shop["towel"].pk, towel)] * bool(towel)
    return place_order(consumer=shop["consumer"], address_id=shop["address"].pk, items=items)


def test_orders_keep_the_address_division_codes_with_the_names(shop):
    order = _buy(shop, tea=1, towel=0).orders.get()
    assert {
        k: order.address[k] for k in ("province", "district", "province_code", "city_code", "district_code")
    } == {
        "province": "浙江省",
        "district": "西湖区",
        "province_code": "330000",
        "city_code": "330100",
        "district_code": "330106",
    }


def test_checkout_splits_one_order_per_brand_under_one_payment(shop):
    checkout = _buy(shop, tea=2, towel=1)
    by_brand = {o.brand_id: o for o in checkout.orders.all()}
    tea_order, towel_order = by_brand[shop["tea"].brand_id], by_brand[shop["towel"].brand_id]
    assert (tea_order.goods_amount, tea_order.shipping_amount, tea_order.paid_amount) == (11600, 0, 11600)
    assert (towel_order.goods_amount, towel_order.shipping_amount, towel_order.paid_amount) == (
        2900,
        800,
        3700,
    )
    assert checkout.total == checkout.payment.amount == 15300
    line = tea_order.lines.get()
    assert (line.title, line.unit_price, line.quantity) == ("绿茶", 5800, 2)
    assert tea_order.address["city"] == "杭州市"
    shop["tea"].refresh_from_db()
    assert shop["tea"].stock == 8
    assert OutboxEvent.objects.filter(topic="order.created").count() == 2


def test_shipping_by_province_and_free_threshold(shop):
    shop["address"].province = "新疆维吾尔自治区"
    shop["address"].save()
    assert _buy(shop, tea=0, towel=1).orders.get().shipping_amount == 2000
    assert _buy(shop, tea=0, towel=4).orders.get().shipping_amount == 0  # 116.00 ≥ 100.00


def test_snapshot_survives_catalog_changes(shop):
    order = _buy(shop, tea=1, towel=0).orders.get()
    Sku.objects.filter(pk=shop["tea"].pk).update(retail_price=6000, price_max=6800)
    assert order.lines.get().unit_price == 5800


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", "cart is empty"),
        ("zero", "at least 1"),
        ("negative", "at least 1"),
        ("above_stock", "Only 10 of"),
        ("off_shelf", "is not on sale"),
        ("foreign_address", "delivery addresses"),
        ("unknown_sku", "does not exist"),
    ],
)
def test_bad_checkouts_write_nothing(shop, case, message):
    items = {
        "empty": [],
        "zero": [(shop["tea"].pk, 0)],
        "negative": [(shop["tea"].pk, -2)],
        "above_stock": [(shop["tea"].pk, 11)],
        "off_shelf": [(shop["tea"].pk, 1)],
        "foreign_address": [(shop["tea"].pk, 1)],
        "unknown_sku": [(999999, 1)],
    }[case]
    if case == "off_shelf":
        shop["tea"].product.status = ProductStatus.OFF_SHELF
        shop["tea"].product.save()
    address_id = AddressFactory().pk if case == "foreign_address" else shop["address"].pk
    with pytest.raises(TradeError, match=message):
        place_order(consumer=shop["consumer"], address_id=address_id, items=items)
    assert Order.objects.count() == Checkout.objects.count() == OrderLine.objects.count() == 0
    shop["tea"].refresh_from_db()
    assert shop["tea"].stock == 10


def test_second_line_out_of_stock_rolls_back_the_first(shop):
    with pytest.raises(TradeError, match="Only 5 of"):
        _buy(shop, tea=3, towel=6)
    shop["tea"].refresh_from_db()
    assert shop["tea"].stock == 10 and Order.objects.count() == 0


def test_full_lifecycle_and_ledger(shop):
    checkout = _buy(shop, tea=1, towel=1)
    assert pay_checkout(checkout, times=10) == (204,) * 10
    tea_order = checkout.orders.get(brand=shop["tea"].brand)
    tea_order.refresh_from_db()
    assert tea_order.status == OrderStatus.PAID
    assert ledger.balance(AccountCode.GATEWAY_CASH) == checkout.total  # credited once
    staff = BrandStaffFactory(brand=shop["tea"].brand, role=BrandRole.OPERATIONS)
    fulfilment.ship(actor=staff, order_id=tea_order.pk, carrier="顺丰", tracking_no="SF123")
    fulfilment.confirm_receipt(consumer=shop["consumer"], order_id=tea_order.pk)
    assert fulfilment.settle(tea_order.pk) is not None
    assert fulfilment.settle(tea_order.pk) is None  # once
    fee = 5800 * tea_order.platform_fee_bps // 10000
    assert ledger.balance(AccountCode.BRAND_PAYABLE, brand_id=tea_order.brand_id) == -(5800 - fee)
    assert ledger.balance(AccountCode.PLATFORM_FEE_REVENUE) == -fee
    assert ledger.trial_balance() == 0
    statuses = list(tea_order.transitions.values_list("to_status", "actor_label"))
    assert statuses == [("paid", "payment"), ("shipped", "brand staff"), ("completed", "consumer")]


def test_partial_shipments(shop):
    checkout = _buy(shop, tea=3, towel=0)
    pay_checkout(checkout)
    order = checkout.orders.get()
    line = order.lines.get()
    staff = BrandStaffFactory(brand=order.brand, role=BrandRole.OPERATIONS)
    fulfilment.ship(actor=staff, order_id=order.pk, carrier="顺丰", tracking_no="A1", quantities={line.pk: 1})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    with pytest.raises(TradeError, match="only 2 left to ship"):
        fulfilment.ship(
            actor=staff, order_id=order.pk, carrier="顺丰", tracking_no="A2", quantities={line.pk: 3}
        )
    fulfilment.ship(actor=staff, order_id=order.pk, carrier="圆通", tracking_no="A3", quantities={line.pk: 2})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.shipments.count() == 2


def test_illegal_transitions_change_nothing(shop):
    checkout = _buy(shop, tea=1, towel=0)
    order = checkout.orders.get()
    staff = BrandStaffFactory(brand=order.brand, role=BrandRole.OPERATIONS)
    with pytest.raises(TradeError, match="Only a paid order"):
        fulfilment.ship(actor=staff, order_id=order.pk, carrier="SF", tracking_no="y")
    with pytest.raises(TradeError, match="cannot become"):
        fulfilment.confirm_receipt(consumer=shop["consumer"], order_id=order.pk)
    pay_checkout(checkout)
    with pytest.raises(TradeError, match="is paid: it is cancelled only by refunding it in full"):
        orders.cancel_order(order.pk, actor=shop["consumer"])
    with pytest.raises(TradeError, match="is paid: it is cancelled only by refunding it in full"):
        orders.transition(orders.lock_order(order.pk), OrderStatus.CANCELLED, actor_label="staff")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.transitions.count() == 1


def test_roles_and_tenancy_for_shipping(shop):
    checkout = _buy(shop, tea=1, towel=0)
    pay_checkout(checkout)
    order = checkout.orders.get()
    with pytest.raises(ValidationError, match="may not ship"):
        fulfilment.ship(
            actor=BrandStaffFactory(brand=order.brand, role=BrandRole.FINANCE),
            order_id=order.pk,
            carrier="SF",
            tracking_no="y",
        )
    with pytest.raises(Order.DoesNotExist):
        fulfilment.ship(
            actor=BrandStaffFactory(role=BrandRole.OWNER), order_id=order.pk, carrier="SF", tracking_no="y"
        )
    with pytest.raises(Order.DoesNotExist):
        fulfilment.confirm_receipt(consumer=UserFactory(), order_id=order.pk)


def test_consumer_cancel_releases_stock_and_closes_payment(shop):
    checkout = _buy(shop, tea=4, towel=0)
    orders.cancel_order(checkout.orders.get().pk, actor=shop["consumer"])
    shop["tea"].refresh_from_db()
    checkout.payment.refresh_from_db()
    assert shop["tea"].stock == 10 and checkout.payment.status == PaymentStatus.CLOSED


def test_timer_closes_unpaid_orders_after_30_minutes(shop):
    checkout = _buy(shop, tea=2, towel=0)
    run_pending()
    assert checkout.orders.get().status == OrderStatus.PENDING_PAYMENT
    clock.advance(timedelta(minutes=31))
    run_pending()
    order = checkout.orders.get()
    assert order.status == OrderStatus.CANCELLED
    assert order.transitions.get().actor_label == "system"
    shop["tea"].refresh_from_db()
    assert shop["tea"].stock == 10


def test_late_payment_after_cancellation_is_refunded_automatically(shop):
    checkout = _buy(shop, tea=1, towel=1)
    tea_order = checkout.orders.get(brand=shop["tea"].brand)
    orders.cancel_order(tea_order.pk, actor=shop["consumer"])
    pay_checkout(checkout)
    tea_order.refresh_from_db()
    towel_order = checkout.orders.get(brand=shop["towel"].brand)
    assert towel_order.status == OrderStatus.PAID
    assert tea_order.status == OrderStatus.CANCELLED and tea_order.refunded_amount == tea_order.paid_amount
    refund = checkout.payment.refunds.get()
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == tea_order.paid_amount
    assert ledger.balance(AccountCode.GATEWAY_CASH) == towel_order.paid_amount
    assert ledger.trial_balance() == 0


def test_auto_confirm_and_settlement_timers(shop):
    checkout = _buy(shop, tea=1, towel=0)
    pay_checkout(checkout)
    order = checkout.orders.get()
    fulfilment.ship(
        actor=BrandStaffFactory(brand=order.brand, role=BrandRole.OPERATIONS),
        order_id=order.pk,
        carrier="SF",
        tracking_no="y",
    )
    clock.advance(timedelta(days=11))
    run_pending()
    clock.advance(timedelta(minutes=2))
    run_pending()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.settled_at is not None
    assert order.transitions.last().actor_label == "system"


def test_refunds_before_and_after_settlement(shop):
    checkout = _buy(shop, tea=2, towel=0)
    pay_checkout(checkout)
    order = checkout.orders.get()
    refunds.refund_order(order_id=order.pk, amount=1001, reason="部分退款", reference="a1")
    with pytest.raises(TradeError, match="more than"):
        refunds.refund_order(order_id=order.pk, amount=order.paid_amount, reason="x", reference="a2")
    staff = BrandStaffFactory(brand=order.brand, role=BrandRole.OPERATIONS)
    fulfilment.ship(actor=staff, order_id=order.pk, carrier="SF", tracking_no="y")
    fulfilment.confirm_receipt(consumer=shop["consumer"], order_id=order.pk)
    fulfilment.settle(order.pk)
    refunds.refund_order(order_id=order.pk, amount=3333, reason="售后", reference="a3")
    order.refresh_from_db()
    assert order.refunded_amount == 4334
    assert ledger.balance(AccountCode.GATEWAY_CASH) == order.paid_amount - 4334
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()
    payable = -ledger.balance(AccountCode.BRAND_PAYABLE, brand_id=order.brand_id)
    fee = -ledger.balance(AccountCode.PLATFORM_FEE_REVENUE)
    assert payable + fee == order.paid_amount - 4334


def test_cart_rules(shop):
    consumer = shop["consumer"]
    cart.add_to_cart(consumer=consumer, sku_id=shop["tea"].pk, quantity=4)
    cart.add_to_cart(consumer=consumer, sku_id=shop["tea"].pk, quantity=4)
    assert CartItem.objects.get().quantity == 8
    with pytest.raises(TradeError, match="Only 10"):
        cart.add_to_cart(consumer=consumer, sku_id=shop["tea"].pk, quantity=3)
    item = CartItem.objects.get()
    with pytest.raises(TradeError, match="not in your cart"):
        cart.set_cart_quantity(consumer=UserFactory(), item_id=item.pk, quantity=1)
    cart.set_cart_quantity(consumer=consumer, item_id=item.pk, quantity=0)
    assert not CartItem.objects.exists()


def test_checkout_from_cart_empties_bought_items(shop):
    cart.add_to_cart(consumer=shop["consumer"], sku_id=shop["tea"].pk, quantity=2)
    checkout = place_order(consumer=shop["consumer"], address_id=shop["address"].pk)
    assert checkout.orders.get().lines.get().quantity == 2
    assert not CartItem.objects.filter(consumer=shop["consumer"]).exists()


def test_unapproved_brand_cannot_sell(shop):
    product = ProductFactory(brand__status="suspended")
    sku = SkuFactory(product=product)
    with pytest.raises(TradeError, match="not on sale"):
        place_order(consumer=shop["consumer"], address_id=shop["address"].pk, items=[(sku.pk, 1)])


def test_the_lines_skus_are_read_in_one_query_and_the_first_at_fault_is_named():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.trade.cart import buyable_skus

    first, second = SkuFactory(), SkuFactory(product__status=ProductStatus.OFF_SHELF)
    with CaptureQueriesContext(connection) as captured:
        found = buyable_skus([first.pk, second.pk, 10**9])
    assert len(captured) == 1 and set(found) == {first.pk, second.pk}
    assert found[first.pk].product.brand.pk == first.brand_id  # product and brand come with it
    address = AddressFactory()
    for items, message in [
        ([(first.pk, 1), (second.pk, 1), (10**9, 1)], "is not on sale"),
        ([(first.pk, 1), (10**9, 1), (second.pk, 1)], "does not exist"),
        ([(first.pk, 99), (10**9, 1)], "Only 10"),
    ]:
        with pytest.raises(TradeError, match=message):
            place_order(consumer=address.consumer, address_id=address.pk, items=items)
    assert not Checkout.objects.exists()


def test_a_line_short_of_stock_refuses_the_whole_checkout_and_names_it():
    """The stock of every line is taken by one statement; when one line lacks stock the error
    names that product and what is left, and no other line keeps its units."""
    first, short = SkuFactory(stock=5), SkuFactory(stock=1)
    total_before = first.product.total_stock
    address = AddressFactory()
    with pytest.raises(TradeError) as refused:
        place_order(consumer=address.consumer, address_id=address.pk, items=[(first.pk, 2), (short.pk, 3)])
    title = f"{short.product.title} {short.spec_label}".strip()
    assert refused.value.messages == [f"Only 1 of “{title}” left."]
    first.refresh_from_db()
    first.product.refresh_from_db()
    assert first.stock == 5 and first.product.total_stock == total_before
    assert not Checkout.objects.exists()


def test_reserve_stock_takes_skus_and_products_together_or_neither():
    """The SKUs' stock and their products' totals are taken together (one statement on
    PostgreSQL, two on SQLite); when a SKU is short, nothing of the products is taken either."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fenxiao.trade.checkout import reserve_stock

    a, b = SkuFactory(stock=5), SkuFactory(stock=3)
    sibling = SkuFactory(product=a.product, stock=4)
    a.product.refresh_from_db()
    totals = {a.product_id: a.product.total_stock, b.product_id: b.product.total_stock}
    with CaptureQueriesContext(connection) as captured:
        left = reserve_stock([(a, 2), (sibling, 1), (b, 3), (a, 1)])
    assert left == {a.pk: 2, sibling.pk: 3, b.pk: 0}
    assert len(captured) == (1 if connection.vendor == "postgresql" else 2)
    taken = {a.product_id: 4, b.product_id: 3}
    for product_id, total in totals.items():
        assert Product.objects.get(pk=product_id).total_stock == total - taken[product_id]
    with pytest.raises(TradeError, match="Only 0"):
        reserve_stock([(a, 1), (b, 1)])
    assert Product.objects.get(pk=a.product_id).total_stock == totals[a.product_id] - 4


def test_buy_now_places_the_order_without_the_cart(client):
    sku = SkuFactory(stock=5)
    address = AddressFactory()
    cart.add_to_cart(consumer=address.consumer, sku_id=SkuFactory().pk, quantity=1)
    assert client.post("/trade/buy/", {"sku_id": sku.pk, "quantity": 2}).status_code == 302  # sign in first
    assert not Checkout.objects.exists()
    client.force_login(address.consumer)
    refused = client.post("/trade/buy/", {"sku_id": sku.pk, "quantity": 9, "address_id": address.pk})
    assert refused.status_code == 400 and "Only 5" in refused.content.decode()
    assert client.post("/trade/buy/", {"quantity": 1, "address_id": address.pk}).status_code == 400
    response = client.post("/trade/buy/", {"sku_id": sku.pk, "quantity": 2, "address_id": address.pk})
    assert response.status_code == 302 and "/payments/pay/" in response["Location"]
    order = Checkout.objects.get().orders.get()
    assert order.lines.get().quantity == 2 and Sku.objects.get(pk=sku.pk).stock == 3
    assert CartItem.objects.filter(consumer=address.consumer).count() == 1  # the cart is left alone
