"""The rollups the worker maintains equal a direct computation from the source tables, after
random sequences of visits, orders, payments, cancellations, refunds, late and redelivered
events; and ``rebuild_analytics`` lands on the same numbers."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.analytics import direct, selectors
from fenxiao.analytics.models import DailyStat
from fenxiao.analytics.periods import DateRange
from fenxiao.analytics.selectors import Scope
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.core.events import deliver_event
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import OutboxEntry
from fenxiao.distribution import services
from fenxiao.distribution.models import LinkKind
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade import orders, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["visit", "buy", "buy", "pay", "pay", "cancel", "refund", "later", "work", "redeliver"]
        ),
        st.integers(0, 11),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=25,
)


def world():
    product = ProductFactory(title="云雾绿茶", spec_names=["规格"])
    skus = [
        SkuFactory(product=product, stock=500, retail_price=3333),
        SkuFactory(product=product, stock=500, retail_price=1999),
        SkuFactory(product__brand=product.brand, stock=500, retail_price=12800),
    ]
    brand = product.brand
    distributor = distributor_of(brand).distributor
    link = services.share_link(distributor=distributor, brand=brand, kind=LinkKind.STORE)
    provinces = ["浙江省", "广东省", "北京市"]
    buyers = [AddressFactory(province=provinces[i]) for i in range(3)]
    other = SkuFactory(stock=500, retail_price=5000)  # another brand: never in this brand's numbers
    return brand, skus, link, buyers, other


def assert_cube_equals_direct(brand, periods) -> None:
    for scope in (
        Scope(brand_id=brand.pk),
        Scope(),
        Scope(
            distributor_id=int(
                DailyStat.objects.filter(dim="distributor").values_list("key", flat=True).first() or 0
            )
        ),
    ):
        for period in periods:
            assert selectors.summary(scope, period) == direct.summary(scope, period), (scope, period)
            assert selectors.series(scope, period, "day") == direct.series(scope, period, "day")
            assert selectors.series(scope, period, "week") == direct.series(scope, period, "week")
            assert selectors.customers(scope, period, None) == direct.customers(scope, period, None)
            dims = ("brand",) if scope.brand_id is None else ("product", "distributor", "province", "channel")
            for dim in dims:
                got = sorted(selectors.top(scope, period, dim, None), key=lambda r: r["key"])
                want = sorted(direct.top(scope, period, dim, None), key=lambda r: r["key"])
                assert got == want, (scope, dim)


def play(actions, brand, skus, link, buyers, other) -> None:
    checkouts = []
    for action, pick, quantity in actions:
        buyer = buyers[pick % len(buyers)]
        try:
            if action == "visit":
                services.record_visit(
                    link=link, visitor=buyer.consumer if pick % 4 else None, session_key=f"s{pick % 2}"
                )
            elif action == "buy":
                sku = (skus + [other])[pick % 4]
                items = [(sku.pk, quantity)] + (
                    [(skus[2].pk, 1)] if pick % 3 == 0 and sku in skus[:2] else []
                )
                checkouts.append(place_order(consumer=buyer.consumer, address_id=buyer.pk, items=items))
            elif action == "later":
                clock.advance(timedelta(hours=7 * quantity))  # events pile up and are delivered days late
            elif action == "work":
                run_pending()
            elif action == "redeliver":
                done = list(
                    OutboxEntry.objects.filter(name="core.deliver_event", status="done").order_by("id")
                )
                if done:
                    deliver_event(done[pick % len(done)].payload)
            elif checkouts:
                checkout = checkouts[pick % len(checkouts)]
                order = Order.objects.filter(checkout=checkout).first()
                if action == "pay":
                    pay_checkout(checkout)
                elif action == "cancel":
                    orders.cancel_order(order.pk, actor=buyer.consumer)
                elif action == "refund":
                    refunds.refund_order(
                        order_id=order.pk,
                        amount=quantity * 500,
                        reason="x",
                        reference=f"r{pick}{quantity}{len(checkouts)}",
                    )
        except TradeError:
            pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ACTIONS)
@pytest.mark.django_db
def test_rollups_equal_direct_computation(actions):
    clock.reset()
    start = timezone.localdate(clock.now()) - timedelta(days=1)
    brand, skus, link, buyers, other = world()
    play(actions, brand, skus, link, buyers, other)
    run_pending()
    end = timezone.localdate(clock.now()) + timedelta(days=1)
    periods = [DateRange(start, end), DateRange(start + timedelta(days=1), start + timedelta(days=2))]
    assert_cube_equals_direct(brand, periods)
    totals = selectors.summary(Scope(brand_id=brand.pk), DateRange(start, end))
    assert totals["paid_orders"] == Order.objects.filter(brand=brand, paid_at__isnull=False).count()

    before = {p: selectors.summary(Scope(brand_id=brand.pk), p) for p in periods}
    call_command("rebuild_analytics", stdout=StringIO())
    assert {p: selectors.summary(Scope(brand_id=brand.pk), p) for p in periods} == before
    play(actions[: len(actions) // 2], brand, skus, link, buyers, other)  # events after the rebuild
    run_pending()
    end = timezone.localdate(clock.now()) + timedelta(days=1)
    assert_cube_equals_direct(brand, [DateRange(start, end)])
    clock.reset()


@pytest.mark.django_db
def test_rebuild_prints_progress_and_redelivery_counts_once():
    brand, skus, link, buyers, _other = world()
    checkout = place_order(consumer=buyers[0].consumer, address_id=buyers[0].pk, items=[(skus[0].pk, 2)])
    pay_checkout(checkout)
    run_pending()
    for job in OutboxEntry.objects.filter(name="core.deliver_event"):
        deliver_event(job.payload)  # every event delivered a second time
    today = DateRange(timezone.localdate(clock.now()), timezone.localdate(clock.now()))
    numbers = selectors.summary(Scope(brand_id=brand.pk), today)
    assert numbers["paid_orders"] == 1 and numbers["paid_amount"] == 6666 and numbers["shares"] == 1
    out = StringIO()
    call_command("rebuild_analytics", stdout=out)
    assert "brand 1/" in out.getvalue() and "done:" in out.getvalue()
    assert selectors.summary(Scope(brand_id=brand.pk), today) == numbers
    assert UserFactory  # factories importable for the other tests
