"""Each money rule that has a SQL twin for the settlement batch, run both ways on random inputs and
compared: the platform fee and what an order holds (``trade.platform_fee``), the freeze and the
commission made available (``distribution.commission``), the sales a distributor's level counts
(``distribution.levels``), and the price band's clamp and its query condition
(``catalog.price_band``).  A snapshot test (``test_settlement_batch``) compares whole settlements;
these compare each rule on its own, over inputs a snapshot would never meet."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog import price_band
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core.sql import temp_table
from fenxiao.distribution import commission, levels
from fenxiao.distribution.models import DistributorProfile, StoreSkuPrice
from fenxiao.trade import platform_fee, settlement
from fenxiao.trade.models import Order

from .test_settlement_batch import _world

pytestmark = pytest.mark.django_db
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _select_one(sql: str, values: dict[str, int]) -> tuple:
    """Evaluate ``sql`` over one row ``o`` whose columns are ``values``."""
    columns = ", ".join(f"CAST(%s AS BIGINT) AS {name}" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM (SELECT {columns}) o", list(values.values()))
        return tuple(int(v) for v in cursor.fetchone())


@st.composite
def held_orders(draw):
    paid = draw(st.integers(0, 10**9))
    shipping = draw(st.integers(0, paid))
    refunded = draw(st.integers(0, paid))
    bps = draw(st.integers(0, 10_000))
    return {
        "paid_amount": paid,
        "refunded_amount": refunded,
        "shipping_amount": shipping,
        "platform_fee_bps": bps,
    }


def _held(paid: int, refunded: int = 0, shipping: int = 0, bps: int = 5000) -> dict[str, int]:
    return {
        "paid_amount": paid,
        "refunded_amount": refunded,
        "shipping_amount": shipping,
        "platform_fee_bps": bps,
    }


@SETTINGS
@given(held_orders())
@example(_held(1))  # half a fen: rounds up
@example(_held(3))  # 1.5 fen
@example(_held(1000, refunded=999, shipping=800))  # refunds take the goods first, then shipping
@example(_held(10**9, bps=10_000))
def test_platform_fee_in_python_and_in_sql_agree(order):
    python = platform_fee.amounts(
        paid=order["paid_amount"],
        refunded=order["refunded_amount"],
        shipping=order["shipping_amount"],
        fee_bps=order["platform_fee_bps"],
    )
    sql = platform_fee.amounts_sql("o")
    assert _select_one(f"{sql.goods}, {sql.shipping}, {sql.fee}", order) == (
        python.goods,
        python.shipping,
        python.fee,
    )
    assert python.goods >= 0 and python.shipping >= 0 and 0 <= python.fee <= python.goods


@SETTINGS
@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_level_sales_in_python_and_in_sql_agree(base, refunded):
    python = levels.counted_sales(base=base, refunded=refunded)
    sql = levels.COUNTED_SALES.replace("c.base_amount", "o.base_amount")
    assert _select_one(sql, {"base_amount": base, "refunded_amount": refunded}) == (python,)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_freeze_and_commissions_in_python_and_in_sql_agree(seed):
    """Random orders through checkout, payment, shipping, receipt and refunds (partial, full,
    before and after settlement), in brands with and without freeze days and level 2."""
    world = _world(seed, orders=25)
    orders = list(Order.objects.filter(pk__in=world["orders"]).order_by("pk"))
    rng = random.Random(seed)
    settlement.settle_all_due(batch_size=rng.randint(1, 9))  # some settled (claw-backs), some not
    delay = commission.freeze_delay_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.id, {delay.days} FROM {Order._meta.db_table} o {delay.join} WHERE o.id IN"
            f" ({', '.join('%s' for _ in orders)})",
            [o.pk for o in orders],
        )
        sql_days = dict(cursor.fetchall())
        temp_table(cursor, "twin_orders", "order_id BIGINT PRIMARY KEY")
        cursor.executemany("INSERT INTO twin_orders (order_id) VALUES (%s)", [(o.pk,) for o in orders])
        sql, params = commission.available_at_settlement_sql("twin_orders")
        cursor.execute(sql, params)
        sql_available: dict[int, dict[int, int]] = {}
        for order_id, user_id, amount in cursor.fetchall():
            sql_available.setdefault(order_id, {})[user_id] = amount
    assert set(delay.values) >= set(sql_days.values())
    for order in Order.objects.filter(pk__in=world["orders"]):
        assert commission.freeze_delay(order).days == sql_days[order.pk], order
        assert commission.available_at_settlement(order) == sql_available.get(order.pk, {}), order
    assert any(sql_available.values()) and len(set(sql_days.values())) > 1


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    band=st.tuples(st.integers(1, 50_000), st.integers(0, 50_000), st.integers(0, 50_000)),
    prices=st.lists(st.integers(1, 200_000), min_size=1, max_size=6),
)
def test_price_band_clamp_and_its_query_condition_agree(band, prices):
    low, up_to_retail, up_to_max = band
    sku = SkuFactory(price_min=low, retail_price=low + up_to_retail, price_max=low + up_to_retail + up_to_max)
    rows = []
    for price in prices:
        user = UserFactory()
        DistributorProfile.objects.create(user=user, store_name="店")
        rows.append(StoreSkuPrice.objects.create(distributor=user, sku=sku, price=price))
    outside = set(StoreSkuPrice.objects.filter(price_band.outside(sku), sku=sku).values_list("pk", flat=True))
    for row in rows:
        assert (row.pk in outside) == (not price_band.within(row.price, sku))
        clamped = price_band.clamp(row.price, sku)
        assert price_band.within(clamped, sku)
        assert clamped == row.price or row.pk in outside
