"""The checkout journey in Debian's Chromium on a phone: one checkout across two brands, paid in the
sandbox, shipped by both brands, confirmed by the consumer; each brand sees its order."""

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.core.jobs import run_pending
from fenxiao.payments.models import NotificationLog
from fenxiao.trade.models import Order, OrderStatus

from .browser_journeys import order_tea_and_two_towels, two_brand_goods

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_brand_checkout_paid_shipped_confirmed(live_server, browser, phone_context):
    base = live_server.url
    tea, towel = two_brand_goods()
    staff = {
        sku.brand_id: BrandStaffFactory(brand=sku.brand, role=BrandRole.OPERATIONS) for sku in (tea, towel)
    }
    consumer = UserFactory()

    page = phone_context.new_page()
    sign_in(page, base, consumer)
    order_tea_and_two_towels(page, base, tea, towel)
    expect(page.locator("#cashier-amount")).to_have_text("¥186.00")
    page.click("#sandbox-pay")
    expect(page.locator("#payment-status")).to_have_text("已支付")
    run_pending()  # the provider's signed notification reaches the live server over HTTP
    assert NotificationLog.objects.filter(verified=True).count() == 1
    orders = list(Order.objects.filter(consumer=consumer).order_by("id"))
    assert len(orders) == 2 and all(o.status == OrderStatus.PAID for o in orders)
    assert orders[0].checkout_id == orders[1].checkout_id

    for order in orders:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        brand_page = desk.new_page()
        sign_in(brand_page, base, staff[order.brand_id].user, f"/console/b/{order.brand_id}/orders/")
        brand_page.click(f"text={order.order_no}")
        brand_page.select_option("select[name=carrier]", "shunfeng")
        brand_page.fill("input[name=tracking_no]", f"SF{order.pk:08d}")
        brand_page.click("#ship-form button.primary")
        expect(brand_page.locator("#order-status")).to_have_text("已发货")
        desk.close()

    page.goto(f"{base}/trade/orders/")
    for order in orders:
        page.goto(f"{base}/trade/orders/{order.pk}/")
        page.click("#confirm-receipt")
        expect(page.locator("#order-status")).to_have_text("已完成")
    save_screenshot(page, "order-completed.png")

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    brand_page = desk.new_page()
    sign_in(brand_page, base, staff[tea.brand_id].user, f"/console/b/{tea.brand_id}/orders/")
    row = brand_page.locator(
        "tr", has_text=orders[0].order_no if orders[0].brand_id == tea.brand_id else orders[1].order_no
    )
    expect(row).to_contain_text("已完成")
    expect(brand_page.locator("body")).not_to_contain_text("纯棉毛巾")
    desk.close()
