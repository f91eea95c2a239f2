"""The checkout journey in Chromium with WeChat Pay selected: a two-brand checkout paid
through the Native QR page (the local provider's scan page stands in for the payer's phone), shipped
and confirmed; then a phone browser pays through the H5 cashier."""

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.payments.models import BrandPaymentSetting, NotificationLog, Payment, PaymentStatus
from fenxiao.payments.wechatpay_local.merchant import connect_merchant
from fenxiao.trade import fulfilment
from fenxiao.trade.models import Order, OrderStatus
from fenxiao.trade.tests.browser_journeys import order_tea_and_two_towels, two_brand_goods

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def test_checkout_paid_with_wechatpay_native_then_h5(live_server, browser, phone_context, wxpay):
    base = live_server.url
    connect_merchant(wxpay, mode="certificate", notify_url=f"{base}/payments/notify/wechatpay/")
    wxpay.auto_notify = True
    tea, towel = two_brand_goods()
    for sku in (tea, towel):
        BrandPaymentSetting.objects.create(brand=sku.brand, gateway="wechatpay")
    consumer = UserFactory()

    page = phone_context.new_page()
    sign_in(page, base, consumer)
    order_tea_and_two_towels(page, base, tea, towel)

    # Native: our page shows the code_url as a QR code; the provider's scan page pays it.
    expect(page.locator("#native-amount")).to_have_text("¥186.00")
    expect(page.locator("#native-qr svg")).to_be_visible()
    save_screenshot(page, "wechatpay-native.png")
    with page.expect_popup() as popup_info:
        page.click("#test-scan")
    phone = popup_info.value
    expect(phone.locator("#wx-amount")).to_have_text("¥186.00")
    phone.click("#wx-pay")
    expect(phone.locator("#wx-state")).to_have_text("SUCCESS")
    expect(page.locator("#payment-status")).to_have_text("已支付", timeout=20_000)  # the page reloads
    assert NotificationLog.objects.filter(gateway="wechatpay", verified=True).count() == 1
    orders = list(Order.objects.filter(consumer=consumer).order_by("id"))
    assert len(orders) == 2 and all(o.status == OrderStatus.PAID for o in orders)

    for order in orders:
        staff = BrandStaffFactory(brand=order.brand, role=BrandRole.OPERATIONS)
        fulfilment.ship(actor=staff, order_id=order.pk, carrier="顺丰速运", tracking_no=f"SF{order.pk:08d}")
        page.goto(f"{base}/trade/orders/{order.pk}/")
        page.click("#confirm-receipt")
        expect(page.locator("#order-status")).to_have_text("已完成")

    # H5: a phone browser outside WeChat goes to the provider's cashier and comes back paid.
    h5 = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", user_agent=IPHONE)
    h5_page = h5.new_page()
    sign_in(h5_page, base, consumer)
    h5_page.goto(f"{base}/shop/p/{tea.product_id}/")
    h5_page.click("label:has-text('250g')")
    h5_page.click("#buy-now")
    h5_page.click("#place-order")
    expect(h5_page).to_have_url(re.compile(r"/h5pay/"))
    expect(h5_page.locator("#wx-amount")).to_have_text("¥128.00")
    h5_page.click("#wx-pay")
    expect(h5_page.locator("#payment-status")).to_have_text("已支付")
    h5.close()
    assert (
        Payment.objects.filter(payer=consumer, gateway="wechatpay", status=PaymentStatus.SUCCEEDED).count()
        == 2
    )
