from __future__ import annotations

import factory

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.core import clock
from fenxiao.crm.models import Channel, Member, MemberLevel


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    brand = factory.SubFactory(BrandFactory)
    consumer = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda o: str(o.consumer))
    source_channel = Channel.LINK
    created_at = factory.LazyFunction(clock.now)


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberLevel

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"等级{n}")
    growth_threshold = factory.Sequence(lambda n: n * 100)
