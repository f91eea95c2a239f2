import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.tests.concurrency import run_together
from fenxiao.distribution.services import program_for
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import LedgerAccount
from fenxiao.trade import fulfilment, orders, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order, OrderStatus

from .factories import AddressFactory, pay_checkout


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_race_for_the_last_ten_units():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL (SQLite serialises every writer)")
    sku = SkuFactory(stock=10)
    addresses = [AddressFactory() for _ in range(50)]

    def buyer(address):
        return lambda: place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 1)])

    results = run_together(*(buyer(a) for a in addresses), expected=(TradeError,))
    assert results.count("ok") == 10 and sum(isinstance(r, TradeError) for r in results) == 40
    assert Order.objects.count() == 10
    assert Sku.objects.get(pk=sku.pk).stock == 0


@pytest.mark.django_db(transaction=True)
def test_stock_race_on_sqlite_is_serialised_too():
    """On SQLite the same race runs with a few threads: writers queue, nobody oversells."""
    sku = SkuFactory(stock=3)
    addresses = [AddressFactory() for _ in range(6)]

    def buyer(address):
        return lambda: place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 1)])

    ok = [r for r in run_together(*(buyer(a) for a in addresses), expected=(TradeError,)) if r == "ok"]
    assert len(ok) == 3 and Sku.objects.get(pk=sku.pk).stock == 0


@pytest.mark.django_db(transaction=True)
def test_multi_line_buyers_race_without_oversell_and_all_or_nothing():
    """All lines' stock is taken by one conditional UPDATE: twenty buyers of two SKUs (their
    lines in either order), one SKU with 4 units: exactly 4 checkouts succeed, each took both
    lines or nothing, and the refused ones are told what is left."""
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL (SQLite serialises every writer)")
    scarce = SkuFactory(stock=4)
    plenty = SkuFactory(product=ProductFactory(brand=scarce.brand), stock=100)
    program_for(scarce.brand)  # written once beforehand, as any brand's first checkout does
    addresses = [AddressFactory() for _ in range(20)]

    def buyer(i, address):
        items = [(scarce.pk, 1), (plenty.pk, 2)]
        return lambda: place_order(
            consumer=address.consumer, address_id=address.pk, items=items if i % 2 else items[::-1]
        )

    results = run_together(*(buyer(i, a) for i, a in enumerate(addresses)), expected=(TradeError,))
    refused = [r for r in results if isinstance(r, TradeError)]
    assert results.count("ok") == 4 and len(refused) == 16
    assert all("Only 0 of" in " ".join(r.messages) for r in refused)
    assert Sku.objects.get(pk=scarce.pk).stock == 0
    assert Sku.objects.get(pk=plenty.pk).stock == 100 - 2 * 4


@pytest.mark.django_db(transaction=True)
def test_first_checkouts_of_two_new_brands_racing_in_either_order_do_not_deadlock():
    """A brand's distribution program is written on its first checkout.  Buyers of two new
    brands whose carts list them in opposite orders all get their orders: brands are attributed
    in id order, so the programs' inserts are always waited for in the same order."""
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs concurrent writers: PostgreSQL (SQLite serialises every writer)")
    first, second = SkuFactory(stock=100), SkuFactory(stock=100)
    assert first.brand_id != second.brand_id
    addresses = [AddressFactory() for _ in range(12)]

    def buyer(i, address):
        items = [(first.pk, 1), (second.pk, 1)]
        return lambda: place_order(
            consumer=address.consumer, address_id=address.pk, items=items if i % 2 else items[::-1]
        )

    results = run_together(*(buyer(i, a) for i, a in enumerate(addresses)), expected=(TradeError,))
    assert results == ["ok"] * 12
    assert Order.objects.count() == 24


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "pay", "cancel", "ship", "confirm", "settle", "refund"]),
        st.integers(0, 7),
        st.integers(1, 4),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ACTIONS)
@pytest.mark.django_db
def test_random_trading_keeps_ledger_and_stock_consistent(actions):
    sku = SkuFactory(stock=12, retail_price=3333)
    staff = BrandStaffFactory(brand=sku.brand, role=BrandRole.OPERATIONS)
    address = AddressFactory()
    checkouts = []
    for action, pick, quantity in actions:
        try:
            if action == "buy":
                checkouts.append(
                    place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, quantity)])
                )
                continue
            if not checkouts:
                continue
            checkout = checkouts[pick % len(checkouts)]
            order = checkout.orders.get()
            if action == "pay":
                pay_checkout(checkout)
            elif action == "cancel":
                orders.cancel_order(order.pk, actor=address.consumer)
            elif action == "ship":
                fulfilment.ship(actor=staff, order_id=order.pk, carrier="顺丰", tracking_no="SF1")
            elif action == "confirm":
                fulfilment.confirm_receipt(consumer=address.consumer, order_id=order.pk)
            elif action == "settle":
                fulfilment.settle(order.pk)
            elif action == "refund":
                refunds.refund_order(
                    order_id=order.pk,
                    amount=quantity * 777,
                    reason="x",
                    reference=f"r{len(actions)}-{pick}-{quantity}",
                )
        except TradeError:
            pass  # refused: nothing may have changed
        assert ledger.trial_balance() == 0
    assert ledger.balances_match_lines()
    for acct in LedgerAccount.objects.all():
        assert (acct.sign_rule != "debit" or acct.balance >= 0) and (
            acct.sign_rule != "credit" or acct.balance <= 0
        )
    sku.refresh_from_db()
    sold = sum(
        line.quantity
        for o in Order.objects.filter(lines__sku=sku).exclude(status=OrderStatus.CANCELLED)
        for line in o.lines.all()
    )
    assert sku.stock == 12 - sold >= 0
    for order in Order.objects.filter(lines__sku=sku):
        assert 0 <= order.refunded_amount <= order.paid_amount
