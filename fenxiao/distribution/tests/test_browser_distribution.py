"""The distribution journey in Debian's Chromium: a distributor joins a brand, prices a product inside
the band, shares it; a new consumer opens the link in a fresh context, signs up and buys; after
the freeze period the commission is available, and it is withdrawn."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.models import User
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.distribution import services, withdrawals
from fenxiao.distribution.models import JoinMode, Withdrawal
from fenxiao.trade import fulfilment
from fenxiao.trade.models import Order
from fenxiao.trade.tests.browser_journeys import pick_division, sms_code_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_distributor_shares_consumer_buys_commission_withdrawn(live_server, browser, phone_context):
    base = live_server.url
    sku = SkuFactory(
        product=ProductFactory(title="高山云雾绿茶", brand__name="山野茶社", spec_names=["规格"]),
        spec_values={"规格": "250g"},
        retail_price=10000,
        price_min=9000,
        price_max=12000,
        stock=20,
    )
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    finance = BrandStaffFactory(brand=sku.brand, role=BrandRole.FINANCE)
    program = services.program_for(sku.brand)
    program.join_mode, program.freeze_days, program.min_withdrawal = JoinMode.OPEN, 7, 100
    program.save()
    distributor = UserFactory()

    page = phone_context.new_page()
    sign_in(page, base, distributor, "/d/")
    page.fill("input[name=store_name]", "小雅的茶铺")
    page.click("text=开店")
    page.locator("form", has_text="山野茶社").locator("button").click()
    page.click("text=货源市场")
    page.fill(f"input[name=price-{sku.pk}]", "130.00")  # outside the band
    page.click("text=保存我的店铺价格")
    expect(page.locator(".msg-error")).to_contain_text("¥90.00")
    page.fill(f"input[name=price-{sku.pk}]", "110.00")
    page.click("text=保存我的店铺价格")
    expect(page.locator(".msg-success")).to_be_visible()
    page.goto(f"{base}/d/share/{sku.brand_id}/")
    share_url = page.locator(".product-link").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(base)}/s/\w{{7}}", share_url)

    buyer_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
    )
    buyer = buyer_context.new_page()
    buyer.goto(share_url)
    expect(buyer).to_have_url(re.compile(rf"/shop/p/{sku.product_id}/$"))
    buyer.goto(f"{base}/accounts/signup/?next=/shop/p/{sku.product_id}/")
    buyer.fill("input[name=phone]", "13766668888")
    buyer.fill("input[name=sms_code]", sms_code_in_browser(buyer, "13766668888"))
    buyer.fill("input[name=password1]", "Tea-leaf-2026!")
    buyer.fill("input[name=password2]", "Tea-leaf-2026!")
    buyer.click("#submit-signup")
    buyer.click("label:has-text('250g')")
    buyer.click("#buy-now")
    buyer.click("#add-address")
    for name, value in {"name": "王五", "phone": "13766668888", "detail": "西溪路 8 号"}.items():
        buyer.fill(f"input[name={name}]", value)
    pick_division(buyer, "浙江省", "杭州市", "西湖区")
    buyer.click("main form button[type=submit]")
    expect(buyer.locator("#checkout-total")).to_have_text("¥110.00")  # the distributor's price
    buyer.click("#place-order")
    buyer.click("#sandbox-pay")
    expect(buyer.locator("#payment-status")).to_have_text("已支付")
    buyer_context.close()
    run_pending()

    consumer = User.objects.get(phone="13766668888")
    order = Order.objects.get(consumer=consumer)
    assert order.distributor == distributor and order.commissions.get().amount == 1100
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="顺丰", tracking_no="SF1")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    clock.advance(timedelta(days=7, minutes=5))
    run_pending()  # the settlement timer

    page.goto(f"{base}/d/")
    card = page.locator(".membership")
    expect(card.locator(".available")).to_have_text("¥11.00")
    card.locator("input[name=amount]").fill("11.00")
    card.get_by_role("button", name="提现").click()
    expect(page.locator(".msg-success")).to_be_visible()
    withdrawals.approve_withdrawal(actor=finance, withdrawal_id=Withdrawal.objects.get().pk)
    page.goto(f"{base}/d/")
    expect(page.locator(".membership .withdrawn")).to_have_text("¥11.00")
    expect(page.locator(".membership .available")).to_have_text("¥0.00")
    save_screenshot(page, "distributor-centre.png")
