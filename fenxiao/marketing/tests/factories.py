from __future__ import annotations

from datetime import timedelta

import factory

from fenxiao.accounts.tests.factories import BrandFactory
from fenxiao.core import clock
from fenxiao.marketing.models import Coupon, CouponKind, FlashSale, GroupDeal, Promotion


class ScheduledFactory(factory.django.DjangoModelFactory):
    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"活动{n}")
    starts_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=7))


class CouponFactory(ScheduledFactory):
    class Meta:
        model = Coupon

    kind = CouponKind.FIXED
    amount = 1000
    total_quantity = 100
    per_member_limit = 1


class PromotionFactory(ScheduledFactory):
    class Meta:
        model = Promotion

    tiers = factory.LazyFunction(lambda: [[19900, 2000], [39900, 5000]])


class FlashSaleFactory(ScheduledFactory):
    class Meta:
        model = FlashSale

    brand = factory.SelfAttribute("sku.brand")
    price = 5000
    quantity = 20
    per_member_limit = 1
    unpaid_minutes = 5


class GroupDealFactory(ScheduledFactory):
    class Meta:
        model = GroupDeal

    brand = factory.SelfAttribute("sku.brand")
    price = 6000
    size = 2
    hours = 24
