"""Commission earned and paid out through a real withdrawal reach the cube (brand, distributor and
platform) exactly as the direct computation says, once each even when events are redelivered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.analytics import direct, selectors
from fenxiao.analytics.periods import DateRange
from fenxiao.analytics.selectors import Scope
from fenxiao.core import clock
from fenxiao.core.events import deliver_event
from fenxiao.core.jobs import run_pending
from fenxiao.core.models import OutboxEntry
from fenxiao.distribution import withdrawals
from fenxiao.distribution.tests.factories import earned_distributor

pytestmark = pytest.mark.django_db


def test_commission_earned_and_paid_out():
    member, sku = earned_distributor(min_withdrawal=5000)
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=8000
    )
    withdrawals.approve_withdrawal(
        actor=BrandStaffFactory(brand=sku.brand, role=BrandRole.FINANCE), withdrawal_id=withdrawal.pk
    )
    run_pending()
    for job in OutboxEntry.objects.filter(name="core.deliver_event"):
        deliver_event(job.payload)
    today = timezone.localdate(clock.now())
    period = DateRange(today - timedelta(days=1), today + timedelta(days=1))
    for scope in (Scope(brand_id=sku.brand_id), Scope(distributor_id=member.distributor_id), Scope()):
        numbers = selectors.summary(scope, period)
        assert numbers == direct.summary(scope, period)
        assert numbers["commission_earned"] == 10000 and numbers["commission_paid"] == 8000
        assert numbers["visits"] == 1 and numbers["paying_customers"] == 1
    clock.reset()
