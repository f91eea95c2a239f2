"""The consumer's checkout journey with WeChat Pay selected, and the real HTTP path:
our pay page, the provider's pages, and its notifications POSTed to our notify endpoint."""

import re

import pytest
import requests

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.payments import services
from fenxiao.payments.models import BrandPaymentSetting, NotificationLog, PaymentStatus, RefundStatus
from fenxiao.payments.wechatpay_local.merchant import connect_merchant
from fenxiao.trade import fulfilment, refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import OrderStatus
from fenxiao.trade.tests.factories import AddressFactory


def _shop(gateways=("wechatpay", "wechatpay")):
    tea = SkuFactory(retail_price=5800, stock=10, product__title="绿茶")
    towel = SkuFactory(retail_price=2900, stock=5, product__title="毛巾")
    for sku, gateway in zip((tea, towel), gateways, strict=True):
        if gateway:
            BrandPaymentSetting.objects.create(brand=sku.brand, gateway=gateway)
    return tea, towel, AddressFactory()


@pytest.mark.django_db
def test_checkout_paid_shipped_confirmed_settled_and_refunded_through_wechatpay(wxpay, merchant):
    tea, towel, address = _shop()
    checkout = place_order(
        consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1), (towel.pk, 2)]
    )
    payment = checkout.payment
    assert payment.gateway == "wechatpay"
    services.start_payment(payment, return_url="http://shop.test/r/", notify_url="http://shop.test/n/")
    headers, body = wxpay.pay(payment.out_trade_no)
    assert [services.handle_notification("wechatpay", headers, body)[0] for _ in range(3)] == [204] * 3
    tea_order = checkout.orders.get(brand=tea.brand)
    towel_order = checkout.orders.get(brand=towel.brand)
    tea_order.refresh_from_db()
    assert tea_order.status == OrderStatus.PAID
    assert ledger.balance(AccountCode.GATEWAY_CASH) == checkout.total  # credited once

    staff = BrandStaffFactory(brand=tea.brand, role=BrandRole.OPERATIONS)
    fulfilment.ship(actor=staff, order_id=tea_order.pk, carrier="顺丰", tracking_no="SF1")
    fulfilment.confirm_receipt(consumer=address.consumer, order_id=tea_order.pk)
    assert fulfilment.settle(tea_order.pk) is not None

    refund = refunds.refund_order(order_id=towel_order.pk, amount=2900, reason="不想要了", reference="r1")
    assert refund.status == RefundStatus.PENDING  # WeChat Pay answers PROCESSING
    assert (
        services.handle_notification("wechatpay", *wxpay.refund_notifications(refund.out_refund_no))[0] == 204
    )
    refund.refresh_from_db()
    towel_order.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and towel_order.refunded_amount == 2900
    assert ledger.balance(AccountCode.GATEWAY_CASH) == checkout.total - 2900
    assert ledger.trial_balance() == 0


@pytest.mark.django_db
def test_brands_that_disagree_use_the_platform_default():
    tea, towel, address = _shop(gateways=("wechatpay", None))
    checkout = place_order(
        consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1), (towel.pk, 1)]
    )
    assert checkout.payment.gateway == "sandbox"
    alone = place_order(consumer=address.consumer, address_id=address.pk, items=[(tea.pk, 1)])
    assert alone.payment.gateway == "wechatpay"


@pytest.mark.django_db(transaction=True)
def test_native_qr_page_then_the_provider_posts_its_notification(wxpay, live_server, client):
    connect_merchant(wxpay, mode="certificate", notify_url=f"{live_server.url}/payments/notify/wechatpay/")
    wxpay.auto_notify = True
    payment = services.create_payment(
        payer=UserFactory(),
        amount=990,
        purpose="none",
        reference="x:1",
        description="茶",
        gateway="wechatpay",
    )
    client.force_login(payment.payer)
    page = client.get(f"/payments/pay/{payment.out_trade_no}/", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux)")
    assert page.status_code == 200 and b"<svg" in page.content
    code_url = re.search(r'data-code-url="([^"]+)"', page.content.decode()).group(1)
    assert code_url.startswith("weixin://wxpay/bizpayurl")
    # The payer scans the code and confirms; WeChat Pay POSTs the notification to our endpoint.
    requests.post(f"{wxpay.url}/scan/", params={"code_url": code_url}, timeout=30)
    assert wxpay.state.deliveries[-1][2] == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (
        NotificationLog.objects.filter(gateway="wechatpay", verified=True, outcome="applied success").count()
        == 1
    )
    assert client.get(f"/payments/pay/{payment.out_trade_no}/").status_code == 302  # paid: on to the result


@pytest.mark.django_db
def test_phone_browser_is_sent_to_the_h5_cashier(wxpay, merchant, client):
    payment = services.create_payment(
        payer=UserFactory(),
        amount=990,
        purpose="none",
        reference="x:1",
        description="茶",
        gateway="wechatpay",
    )
    client.force_login(payment.payer)
    response = client.get(
        f"/payments/pay/{payment.out_trade_no}/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile"
    )
    assert response.status_code == 302 and response.url.startswith(f"{wxpay.url}/h5pay/")
    assert "redirect_url=http%3A%2F%2Ftestserver%2Fpayments%2Fresult%2F" in response.url


@pytest.mark.django_db
def test_provider_unreachable_shows_a_clear_page_and_charges_nothing(wxpay, merchant, client):
    merchant.api_base_url = "http://127.0.0.1:9"
    merchant.save()
    payment = services.create_payment(
        payer=UserFactory(),
        amount=990,
        purpose="none",
        reference="x:1",
        description="茶",
        gateway="wechatpay",
    )
    client.force_login(payment.payer)
    response = client.get(f"/payments/pay/{payment.out_trade_no}/")
    assert response.status_code == 503
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
