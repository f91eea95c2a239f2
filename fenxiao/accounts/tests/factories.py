"""Factories for people, brands and roles.  Other apps' factories build on these."""

from __future__ import annotations

import factory

from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus, User
from fenxiao.accounts.roles import BrandRole

DEFAULT_PASSWORD = "fenxiao-Demo-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password(DEFAULT_PASSWORD)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    description = "A brand for tests."
    status = BrandStatus.APPROVED


class BrandStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrandStaff

    brand = factory.SubFactory(BrandFactory)
    user = factory.SubFactory(UserFactory)
    role = BrandRole.OWNER


def sms_code_for(phone: str, purpose: str = "signup") -> str:
    """Have a code sent to ``phone`` through the console provider (the test default) and read it
    back from its outbox, as a consumer reads their SMS."""
    from fenxiao.accounts.sms import console
    from fenxiao.accounts.sms.codes import send_code

    send_code(phone=phone, purpose=purpose, ip=None)
    code = console.last_code(phone)
    assert code is not None
    return code
