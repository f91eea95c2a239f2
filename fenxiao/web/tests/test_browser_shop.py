"""The product page's SKU picker in Debian's Chromium on a phone: out-of-stock and missing
combinations are disabled, a chosen option can be cleared, nothing is posted before a SKU is
chosen, and the chosen SKU and quantity reach the cart ("add to cart") or the confirm-order page
("buy now", which leaves the cart alone) — with JavaScript and without."""

import re

import pytest
from playwright.sync_api import expect

from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.trade.models import CartItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def option(page, value: str):
    return page.locator(f"#spec-groups input[type=radio][value='{value}']")


def test_sku_picker_disables_what_cannot_be_bought(live_server, phone_context):
    shirt = ProductFactory(title="条纹衬衫", spec_names=["颜色", "尺码"])
    SkuFactory(product=shirt, spec_values={"颜色": "红", "尺码": "M"}, retail_price=8900, stock=4)
    SkuFactory(product=shirt, spec_values={"颜色": "红", "尺码": "L"}, retail_price=9900, stock=0)
    blue_l = SkuFactory(product=shirt, spec_values={"颜色": "蓝", "尺码": "L"}, retail_price=9500, stock=7)
    consumer = UserFactory()

    page = phone_context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/?next=/shop/p/{shirt.pk}/")
    page.fill("input[name=identifier]", consumer.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#price")).to_have_text("¥89.00 – ¥99.00")

    # Buying before choosing asks for the missing specs and posts nothing.
    page.click("#add-to-cart")
    expect(page.locator("#pick-hint")).to_have_text("请选择： 颜色 / 尺码")
    expect(page).to_have_url(re.compile(rf"/shop/p/{shirt.pk}/$"))

    page.click("label:has-text('红')")
    expect(option(page, "L")).to_be_disabled()  # 红/L is sold out
    expect(option(page, "M")).to_be_enabled()
    page.click("label:has-text('M')")
    expect(page.locator("#price")).to_have_text("¥89.00")
    expect(page.locator("#stock")).to_have_text("4")
    expect(option(page, "蓝")).to_be_disabled()  # there is no 蓝/M
    expect(page.locator("#quantity")).to_have_attribute("max", "4")

    # Clicking a chosen option again clears it, so 蓝/L can be reached from 红/M.
    page.click("label:has-text('红')")
    expect(option(page, "红")).not_to_be_checked()
    expect(page.locator("#price")).to_have_text("¥89.00 – ¥99.00")
    expect(page.locator("#sku_id")).to_have_value("")
    page.click("label:has-text('M')")
    page.click("label:has-text('蓝')")
    page.click("label:has-text('L')")
    expect(page.locator("#price")).to_have_text("¥95.00")
    expect(page.locator("#stock")).to_have_text("7")
    expect(page.locator("#sku_id")).to_have_value(str(blue_l.pk))

    page.fill("#quantity", "2")
    page.click("#add-to-cart")
    expect(page).to_have_url(re.compile("/trade/cart/$"))
    assert list(CartItem.objects.filter(consumer=consumer).values_list("sku_id", "quantity")) == [
        (blue_l.pk, 2)
    ]


def test_product_can_be_bought_without_javascript(live_server, browser):
    product = ProductFactory(title="亚麻围裙", spec_names=["颜色"])
    SkuFactory(product=product, spec_values={"颜色": "红"}, retail_price=5900, stock=0)
    blue = SkuFactory(product=product, spec_values={"颜色": "蓝"}, retail_price=7900, stock=3)
    consumer = UserFactory()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/?next=/shop/p/{product.pk}/")
    page.fill("input[name=identifier]", consumer.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")

    expect(page.locator("#spec-groups")).to_be_hidden()
    expect(page.locator("#sku-select option[disabled]")).to_have_text("红 · ¥59.00 · stock 0")
    page.select_option("#sku-select", str(blue.pk))
    page.click("#buy-now")  # a plain GET of the form; the CSRF token is dropped from the address
    expect(page).to_have_url(re.compile(rf"/trade/buy/\?sku_id={blue.pk}&quantity=1$"))
    expect(page.locator("#buy-spec")).to_have_text("蓝")
    expect(page.locator("#checkout-total")).to_have_text("¥79.00")
    assert not CartItem.objects.filter(consumer=consumer).exists()
    context.close()
