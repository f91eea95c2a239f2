"""The catalogue journey in Debian's Chromium: brand staff sign in, create a product with two SKUs
(颜色 红 / 蓝, different prices and stock) through the console and put it on sale; a consumer on
a phone searches the shop, opens the product, picks each SKU and sees its price and stock."""

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD, BrandStaffFactory
from fenxiao.catalog.models import Product, ProductStatus
from fenxiao.web.demo import product_picture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_create_product_and_consumer_finds_it(live_server, browser, phone_context, tmp_path):
    staff = BrandStaffFactory(role=BrandRole.OPERATIONS, brand__name="织物生活", brand__slug="zhiwu")
    console = f"/console/b/{staff.brand_id}/products/"

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    page.goto(f"{live_server.url}/accounts/signin/?next=/console/")
    page.fill("input[name=identifier]", staff.user.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(rf"{console}$"))

    page.click(f"a[href='{console}new/']")
    page.fill("input[name=title]", "亚麻围裙")
    page.fill("input[name=subtitle]", "水洗亚麻，耐脏好打理")
    page.fill("input[name=spec1_name]", "颜色")
    page.fill("input[name=skus-0-spec1]", "红")
    page.fill("input[name=skus-0-stock]", "12")
    page.fill("input[name=skus-0-retail_price]", "59.00")
    page.fill("input[name=skus-0-price_min]", "50.00")
    page.fill("input[name=skus-0-price_max]", "69.00")
    page.click("#add-sku")
    page.fill("input[name=skus-1-spec1]", "蓝")
    page.fill("input[name=skus-1-stock]", "3")
    page.fill("input[name=skus-1-retail_price]", "79.00")
    page.click("#product-form button[type=submit].primary")
    expect(page.locator(".msg-success")).to_be_visible()
    picture = tmp_path / "apron.jpg"
    picture.write_bytes(product_picture("亚麻围裙", (150, 60, 50)))
    page.set_input_files("input[name=image]", str(picture))
    page.click("form[action$='/images/'] button[type=submit]")
    expect(page.locator(".msg-success")).to_be_visible()
    page.click("form[action$='/status/'] button.primary")
    expect(page.locator("h1 .badge")).to_have_text("在售")
    desk.close()

    product = Product.objects.get(brand=staff.brand, title="亚麻围裙")
    assert product.status == ProductStatus.ON_SALE
    assert sorted((s.spec_values["颜色"], s.retail_price, s.stock) for s in product.skus.all()) == [
        ("红", 5900, 12),
        ("蓝", 7900, 3),
    ]

    shop = phone_context.new_page()
    shop.goto(f"{live_server.url}/")
    shop.fill("input[name=q]", "围裙")
    shop.press("input[name=q]", "Enter")
    expect(shop).to_have_url(re.compile(r"/shop/search/\?q="))
    tile = shop.locator(".tile", has_text="亚麻围裙")
    expect(tile.locator(".price")).to_have_text("¥59.00")  # the lowest price
    tile.click()

    expect(shop.locator("h1")).to_have_text("亚麻围裙")
    expect(shop.locator("#price")).to_have_text("¥59.00 – ¥79.00")
    expect(shop.locator("#stock")).to_have_text("15")
    shop.click("label:has-text('蓝')")
    expect(shop.locator("#price")).to_have_text("¥79.00")
    expect(shop.locator("#stock")).to_have_text("3")
    shop.click("label:has-text('红')")
    expect(shop.locator("#price")).to_have_text("¥59.00")
    expect(shop.locator("#stock")).to_have_text("12")
    assert shop.locator("#sku_id").input_value() == str(product.skus.get(spec_values__颜色="红").pk)

    assert shop.viewport_size == {"width": 390, "height": 844}
    assert shop.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    shop.evaluate("window.scrollTo(0, 0)")
    save_screenshot(shop, "product-page.png", docs_copy=True, full_page=False)
