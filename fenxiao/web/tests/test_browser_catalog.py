"""Issue 2's journey in Debian's Chromium: brand staff create a product with two SKUs and put it
on sale; a consumer on a phone finds it and sees each SKU's price and stock."""

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD, BrandStaffFactory
from fenxiao.web.demo import product_picture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_create_product_and_consumer_finds_it(live_server, browser, phone_context, tmp_path):
    staff = BrandStaffFactory(role=BrandRole.OPERATIONS, brand__name="山野茶社", brand__slug="shanye")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    page.goto(f"{live_server.url}/accounts/signin/?next=/console/")
    page.fill("input[name=identifier]", staff.user.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/console/b/{staff.brand_id}/products/$"))

    page.click(f"a[href='/console/b/{staff.brand_id}/products/new/']")
    page.fill("input[name=title]", "高山云雾绿茶")
    page.fill("input[name=spec1_name]", "规格")
    page.fill("input[name=skus-0-spec1]", "100g")
    page.fill("input[name=skus-0-stock]", "12")
    page.fill("input[name=skus-0-retail_price]", "58.00")
    page.fill("input[name=skus-0-price_min]", "50.00")
    page.fill("input[name=skus-0-price_max]", "68.00")
    page.click("#add-sku")
    page.fill("input[name=skus-1-spec1]", "250g")
    page.fill("input[name=skus-1-stock]", "3")
    page.fill("input[name=skus-1-retail_price]", "128.00")
    page.click("#product-form button[type=submit].primary")
    expect(page.locator(".msg-success")).to_be_visible()
    picture = tmp_path / "tea.jpg"
    picture.write_bytes(product_picture("高山云雾绿茶", (58, 120, 90)))
    page.set_input_files("input[name=image]", str(picture))
    page.click("form[action$='/images/'] button[type=submit]")
    expect(page.locator(".msg-success")).to_be_visible()
    page.click("form[action$='/status/'] button.primary")
    expect(page.locator("h1 .badge")).to_have_text("在售")
    desk.close()

    shop = phone_context.new_page()
    shop.goto(f"{live_server.url}/")
    shop.fill("input[name=q]", "云雾")
    shop.press("input[name=q]", "Enter")
    shop.click("text=高山云雾绿茶")
    expect(shop.locator("#price")).to_have_text("¥58.00 – ¥128.00")
    shop.click("label:has-text('250g')")
    expect(shop.locator("#price")).to_have_text("¥128.00")
    expect(shop.locator("#stock")).to_have_text("库存： 3")
    shop.click("label:has-text('100g')")
    expect(shop.locator("#price")).to_have_text("¥58.00")
    expect(shop.locator("#stock")).to_have_text("库存： 12")
    assert shop.viewport_size == {"width": 390, "height": 844}
    shop.evaluate("window.scrollTo(0, 0)")
    save_screenshot(shop, "product-page.png", docs_copy=True, full_page=False)
