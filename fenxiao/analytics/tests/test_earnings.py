"""Commission earned and paid out through a real withdrawal reach the cube (brand, distributor and
platform) exactly as the direct computation says, once each even when events are redelivered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.analytics import direct, selectors
from fenxiao.analytics.periods import DateRange
from fenxiao.analytics.selectors import Scope
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.events import deliver_event
from fenxiao.core.models import Job
from fenxiao.core.worker import run_pending
from fenxiao.distribution import services, withdrawals
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade import fulfilment
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


def test_commission_earned_and_paid_out():
    sku = SkuFactory(retail_price=100000, stock=5)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    program = services.program_for(sku.brand)
    program.freeze_days, program.min_withdrawal = 0, 5000
    program.save()
    member = distributor_of(sku.brand)
    consumer = UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=sku.brand), visitor=consumer
    )
    checkout = place_order(
        consumer=consumer, address_id=AddressFactory(consumer=consumer).pk, items=[(sku.pk, 1)]
    )
    pay_checkout(checkout)
    order = checkout.orders.get()
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="x", tracking_no="y")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    clock.advance(timedelta(seconds=1))
    fulfilment.settle(order.pk)
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=8000
    )
    withdrawals.approve_withdrawal(
        actor=BrandStaffFactory(brand=sku.brand, role=BrandRole.FINANCE), withdrawal_id=withdrawal.pk
    )
    run_pending()
    for job in Job.objects.filter(name="core.deliver_event"):
        deliver_event(job.payload)
    today = timezone.localdate(clock.now())
    period = DateRange(today - timedelta(days=1), today + timedelta(days=1))
    for scope in (Scope(brand_id=sku.brand_id), Scope(distributor_id=member.distributor_id), Scope()):
        numbers = selectors.summary(scope, period)
        assert numbers == direct.summary(scope, period)
        assert numbers["commission_earned"] == 10000 and numbers["commission_paid"] == 8000
        assert numbers["visits"] == 1 and numbers["paying_customers"] == 1
    clock.reset()
