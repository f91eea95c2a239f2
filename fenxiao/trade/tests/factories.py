from __future__ import annotations

import factory

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.payments.gateways.sandbox import pay_in_sandbox
from fenxiao.trade.models import Address, Checkout


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    consumer = factory.SubFactory(UserFactory)
    name = "张三"
    phone = "13900001111"
    province = "浙江省"
    city = "杭州市"
    district = "西湖区"
    province_code = "330000"
    city_code = "330100"
    district_code = "330106"
    detail = "文三路 100 号"
    is_default = True


def pay_checkout(checkout: Checkout, *, times: int = 1) -> tuple[int, ...]:
    """Pay through the sandbox exactly as a consumer would: the cashier confirms, the provider
    signs its notification, the notification endpoint's service verifies and applies it."""
    return tuple(pay_in_sandbox(checkout.payment, deliveries=times))
