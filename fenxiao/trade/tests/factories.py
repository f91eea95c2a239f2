from __future__ import annotations

import factory

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.payments import services as payments
from fenxiao.payments.gateways.sandbox import provider_pay, signed_notification, transaction_resource
from fenxiao.payments.models import SandboxTransaction
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
    detail = "文三路 100 号"
    is_default = True


def pay_checkout(checkout: Checkout, *, times: int = 1) -> tuple[int, ...]:
    """Pay through the sandbox exactly as a consumer would: the cashier confirms, the provider
    signs its notification, the notification endpoint's service verifies and applies it."""
    payment = checkout.payment
    payments.start_payment(payment, return_url="/", notify_url="http://127.0.0.1/payments/notify/sandbox/")
    txn = provider_pay(SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no))
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    return tuple(payments.handle_notification("sandbox", headers, body)[0] for _ in range(times))
