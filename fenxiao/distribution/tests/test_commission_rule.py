"""The commission rule's records and limits: the rate applied per line, level 2 never above what
level 1 leaves of the price paid, and distributor levels counting only what was not refunded."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.distribution import commission, services
from fenxiao.distribution.models import CommissionLine, DistributorMembership, ProductCommissionRate
from fenxiao.ledger import selectors as ledger
from fenxiao.trade import fulfilment, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import customer_of, distributor_of, program_of

pytestmark = pytest.mark.django_db


def _buy(consumer, items):
    checkout = place_order(
        consumer=consumer,
        address_id=AddressFactory(consumer=consumer).pk,
        items=[(s.pk, q) for s, q in items],
    )
    pay_checkout(checkout)
    return checkout.orders.get()


def test_each_line_records_the_rate_applied_to_it():
    tea = SkuFactory(retail_price=10000, stock=10)
    cup = SkuFactory(product=ProductFactory(brand=tea.brand), retail_price=3000, stock=10)
    ProductCommissionRate.objects.create(product=tea.product, level1_bps=2000)
    program_of(tea.brand, level1_bps=1000)
    member = distributor_of(tea.brand)
    order = _buy(customer_of(member), [(tea, 1), (cup, 2)])
    level1 = order.commissions.get()
    rates = {
        line.order_line.sku_id: (line.rate_bps, line.amount)
        for line in level1.lines.select_related("order_line")
    }
    assert rates == {tea.pk: (2000, 2000), cup.pk: (1000, 600)}
    assert (
        level1.amount == 2600 == sum(line.amount for line in CommissionLine.objects.filter(commission=level1))
    )
    assert level1.rate_bps is None  # the lines applied different rates: no single rate to record


def test_a_commission_at_an_override_rate_records_the_override_not_the_program_rate():
    tea = SkuFactory(retail_price=10000, stock=10)
    ProductCommissionRate.objects.create(product=tea.product, level1_bps=2000)
    program_of(tea.brand, level1_bps=1000)
    member = distributor_of(tea.brand)
    level1 = _buy(customer_of(member), [(tea, 1)]).commissions.get()
    assert (level1.rate_bps, level1.amount) == (2000, 2000)


def test_level_two_never_takes_more_than_level_one_leaves_and_the_payment_goes_through():
    """A product override of 90% with a level-2 rate of 20% would pay 110% of the goods: the
    payment is still recorded, level 2 gets the 10% left."""
    sku = SkuFactory(retail_price=10000, stock=10)
    ProductCommissionRate.objects.create(product=sku.product, level1_bps=9000)
    program_of(sku.brand, level1_bps=1000, level2_enabled=True, level2_bps=2000, freeze_days=0)
    inviter = distributor_of(sku.brand)
    member = distributor_of(sku.brand, inviter=inviter.distributor)
    order = _buy(customer_of(member), [(sku, 1)])
    order.refresh_from_db()
    assert order.status == "paid"
    level1, level2 = order.commissions.order_by("level")
    assert (level1.amount, level2.amount) == (9000, 1000)
    assert level1.amount + level2.amount <= level1.base_amount
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_turning_on_level_two_above_an_override_rate_is_refused_with_a_reason():
    sku = SkuFactory(retail_price=10000, stock=10)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    ProductCommissionRate.objects.create(product=sku.product, level1_bps=9000)
    with pytest.raises(ValidationError, match="may not exceed the price paid"):
        services.update_program(actor=owner, level1_bps=1000, level2_enabled=True, level2_bps=2000)
    assert not services.program_for(sku.brand).level2_enabled  # nothing written
    services.update_program(actor=owner, level1_bps=1000, level2_enabled=True, level2_bps=1000)


def test_level_two_amount_is_capped_by_rounding_too():
    assert commission.level2_amount(base=1, level1=1, rate_bps=5000) == 0
    assert commission.level2_amount(base=10000, level1=1000, rate_bps=500) == 500


def _settle(owner, consumer, order):
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="顺丰", tracking_no="1")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    assert fulfilment.settle(order.pk) is not None


def _settled_sales(member) -> int:
    stored = DistributorMembership.objects.get(pk=member.pk).settled_sales
    assert stored == services.settled_sales(brand_id=member.brand_id, distributor_id=member.distributor_id)
    return stored


def test_levels_count_only_the_goods_not_refunded_before_or_after_settlement():
    sku = SkuFactory(retail_price=10000, stock=10)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    program_of(sku.brand, level1_bps=1000, freeze_days=0)
    member = distributor_of(sku.brand)
    consumer = customer_of(member)
    order = _buy(consumer, [(sku, 4)])
    refunds.refund_order(order_id=order.pk, amount=10000, reason="退一件", reference="before")
    _settle(owner, consumer, order)
    assert _settled_sales(member) == 30000  # 40000 of goods, 10000 refunded before settlement
    refunds.refund_order(order_id=order.pk, amount=5000, reason="退半件", reference="after")
    assert _settled_sales(member) == 25000  # and 5000 more after it
    assert ledger.trial_balance() == 0
