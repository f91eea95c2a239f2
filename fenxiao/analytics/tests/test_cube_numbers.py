"""Numbers on the data cube a person can trust: a funnel that never exceeds 100% (customers who
ordered without a share-link visit count as visitors too), and distributors' commission net of
what refunds clawed back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.analytics import dashboards, direct, selectors
from fenxiao.analytics.periods import DateRange
from fenxiao.analytics.selectors import Scope
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.events import deliver_event
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import OutboxEntry
from fenxiao.distribution import selectors as distribution_selectors
from fenxiao.distribution import services
from fenxiao.distribution.models import Commission
from fenxiao.distribution.tests.factories import distributor_of, earned_distributor
from fenxiao.trade import refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


def _deliver() -> None:
    run_pending()
    for job in OutboxEntry.objects.filter(name="core.deliver_event"):
        deliver_event(job.payload)


def _period() -> DateRange:
    today = timezone.localdate(clock.now())
    return DateRange(today - timedelta(days=1), today + timedelta(days=1))


def test_the_funnel_never_exceeds_100_percent():
    """The issue's case: 3 share-link visitors, 8 customers who ordered (most came straight to the
    shop), 5 who paid: the old funnel read 266.7%."""
    sku = SkuFactory(stock=100)
    member = distributor_of(sku.brand)
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    visitors = [UserFactory() for _ in range(3)]
    for visitor in visitors:
        services.record_visit(link=link, visitor=visitor)
    buyers = [visitors[0], *(UserFactory() for _ in range(7))]
    for index, buyer in enumerate(buyers):
        checkout = place_order(
            consumer=buyer, address_id=AddressFactory(consumer=buyer).pk, items=[(sku.pk, 1)]
        )
        if index < 5:
            pay_checkout(checkout)
    _deliver()
    scope, period = Scope(brand_id=sku.brand_id), _period()
    numbers = selectors.summary(scope, period)
    assert numbers == direct.summary(scope, period)
    assert numbers["unique_visitors"] == 3
    assert (numbers["funnel_visitors"], numbers["ordering_customers"], numbers["ordered_and_paid"]) == (
        10,
        8,
        5,
    )
    funnel = str(dashboards.build("brand", scope, period, "day")["funnel"])
    rates = [float(r) for r in re.findall(r"([\d.]+)%", funnel)]
    assert rates == [80.0, 50.0]
    assert all(rate <= 100 for rate in rates)


def test_distributors_commission_is_net_of_claw_backs():
    member, sku = earned_distributor(retail_price=10000)
    order = Commission.objects.get(distributor=member.distributor).order
    refunds.refund_order(order_id=order.pk, amount=5000, reason="退半件", reference="after")
    commission = Commission.objects.get(distributor=member.distributor)
    assert commission.reversed_amount > 0  # clawed back after settlement
    net = commission.amount - commission.reversed_amount
    _deliver()
    tables = dashboards.tables("brand", Scope(brand_id=sku.brand_id), _period(), "day")
    (distributors,) = [t for t in tables if t.name == "distributor"]
    (row,) = distributors.rows
    assert row[-1] == net
    (membership,) = distribution_selectors.brand_distributors_with_sales(sku.brand_id)
    assert membership.commission == net
    platform = dashboards.tables("platform", Scope(), _period(), "day")
    (brands,) = [t for t in platform if t.name == "brand"]
    assert [r[-1] for r in brands.rows] == [net]
