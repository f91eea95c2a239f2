"""Shared steps of the two-brand checkout journeys in Chromium (sandbox and WeChat Pay)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory


def two_brand_goods():
    """Tea (¥128.00, brand 山野茶社) and towels (¥29.00, brand 织物生活)."""
    tea = SkuFactory(
        product=ProductFactory(title="龙井茶", brand__name="山野茶社", spec_names=["规格"]),
        spec_values={"规格": "250g"},
        retail_price=12800,
        stock=5,
    )
    towel = SkuFactory(
        product=ProductFactory(title="纯棉毛巾", brand__name="织物生活", spec_names=["颜色"]),
        spec_values={"颜色": "白"},
        retail_price=2900,
        stock=9,
    )
    return tea, towel


def sms_code_in_browser(page, phone: str) -> str:
    """Tap "Send code" on a sign-up or SMS sign-in page (number already typed) and read the code
    from the console provider's outbox, as the consumer reads their SMS."""
    from fenxiao.accounts.sms import console

    expect(page.locator("#send-sms-code[data-sms-ready=yes]")).to_have_count(1)
    page.click("#send-sms-code")
    expect(page.locator("#sms-status[data-sent=yes]")).to_have_count(1)
    code = console.last_code(phone)
    assert code is not None
    return code


def pick_division(page, province: str, city: str, district: str) -> None:
    """Pick an address's divisions in the picker; each list fills after the one above is chosen."""
    expect(page.locator("form[data-picker-ready=yes]")).to_have_count(1)
    page.select_option("select[name=province_code]", label=province)
    expect(page.locator("select[name=city_code] option", has_text=city)).to_have_count(1)
    page.select_option("select[name=city_code]", label=city)
    expect(page.locator("select[name=district_code] option", has_text=district)).to_have_count(1)
    page.select_option("select[name=district_code]", label=district)


def order_tea_and_two_towels(page, base: str, tea, towel) -> None:
    """A signed-in consumer's phone: tea into the cart, two towels through "buy now", a new
    address, the checkout total (¥186.00) checked, the order placed."""
    page.goto(f"{base}/shop/p/{tea.product_id}/")
    page.click("label:has-text('250g')")
    page.click("#add-to-cart")
    expect(page).to_have_url(re.compile("/trade/cart/$"))
    page.goto(f"{base}/shop/p/{towel.product_id}/")
    page.click("label:has-text('白')")
    page.fill("#quantity", "2")
    page.click("#buy-now")
    expect(page).to_have_url(re.compile("/trade/checkout/$"))
    page.click("#add-address")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=phone]", "13912345678")
    pick_division(page, "浙江省", "杭州市", "西湖区")
    page.fill("input[name=detail]", "文一西路 1 号")
    page.click("main form button[type=submit]")
    expect(page.locator("#checkout-total")).to_have_text("¥186.00")
    page.click("#place-order")
