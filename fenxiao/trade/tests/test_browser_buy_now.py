""" "Buy now" in Debian's Chromium on a 390×844 phone: 立即购买 on the product page opens the
确认订单 page of that SKU and quantity (picture, title, spec, unit price, quantity, the default
address chosen); choosing another address re-prices it to that province; the order placed from it
lands on the cashier at the amount shown; the cart is as it was before."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.trade.cart import add_to_cart
from fenxiao.trade.models import CartItem, Order, ShippingRule

from .browser_journeys import add_pictures
from .factories import AddressFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buy_now_confirms_one_item_then_pays_leaving_the_cart_alone(live_server, phone_context):
    base = live_server.url
    product = ProductFactory(title="白瓷茶杯", brand__name="山野茶社", spec_names=["容量"])
    SkuFactory(product=product, spec_values={"容量": "150ml"}, retail_price=3900, stock=9)
    big = SkuFactory(product=product, spec_values={"容量": "300ml"}, retail_price=5900, stock=9)
    add_pictures(product, "茶杯", (200, 200, 190))
    ShippingRule.objects.create(brand=product.brand, flat_fee=800, province_fees={"广东省": 1500})
    home = AddressFactory(name="张三")  # 浙江省, the default
    work = AddressFactory(
        consumer=home.consumer,
        name="李四",
        province="广东省",
        city="深圳市",
        district="南山区",
        detail="科技园 1 号",
        is_default=False,
    )
    consumer = home.consumer
    in_cart = SkuFactory(product__title="龙井茶", stock=5)
    add_to_cart(consumer=consumer, sku_id=in_cart.pk, quantity=1)
    add_to_cart(consumer=consumer, sku_id=big.pk, quantity=1)  # the same SKU, already in the cart
    cart_before = sorted(CartItem.objects.filter(consumer=consumer).values_list("sku_id", "quantity"))

    page = phone_context.new_page()
    sign_in(page, base, consumer, f"/shop/p/{product.pk}/")
    page.click("label:has-text('300ml')")
    page.fill("#quantity", "2")
    page.click("#buy-now")

    # 确认订单: that SKU and quantity only, priced to the default address (浙江省: ¥8 shipping).
    expect(page).to_have_url(re.compile(rf"/trade/buy/\?sku_id={big.pk}&quantity=2$"))
    expect(page.locator("h1")).to_have_text("确认订单")
    expect(page.locator("#buy-picture")).to_be_visible()
    expect(page.locator("#buy-title")).to_have_text("白瓷茶杯")
    expect(page.locator("#buy-spec")).to_have_text("300ml")
    expect(page.locator("#buy-unit-price")).to_have_text("¥59.00")
    expect(page.locator("#buy-quantity")).to_have_value("2")
    expect(page.locator("#buy-item")).not_to_contain_text("龙井茶")  # the cart is not in it
    expect(page.locator(f"input[name=address_id][value='{home.pk}']")).to_be_checked()
    expect(page.locator("#buy-shipping")).to_have_text("¥8.00")
    expect(page.locator("#checkout-total")).to_have_text("¥126.00")
    expect(page.locator("#place-order")).to_be_in_viewport()
    save_screenshot(page, "h5-buy-now-confirm.png", full_page=False)

    # Another address: the page is priced again for it (广东省: ¥15 shipping).
    page.click("label.address-choice:has-text('李四')")
    expect(page).to_have_url(re.compile(rf"address_id={work.pk}"))
    expect(page.locator(f"input[name=address_id][value='{work.pk}']")).to_be_checked()
    expect(page.locator("#buy-shipping")).to_have_text("¥15.00")
    expect(page.locator("#checkout-total")).to_have_text("¥133.00")
    page.fill("#note", "工作日送达")
    page.click("#place-order")

    # The cashier, at the amount shown; the order is that one item to that address.
    expect(page).to_have_url(re.compile("/payments/sandbox/cashier/"))
    expect(page.locator("#cashier-amount")).to_have_text("¥133.00")
    order = Order.objects.get(consumer=consumer)
    line = order.lines.get()
    assert (line.sku_id, line.quantity, order.paid_amount) == (big.pk, 2, 13300)
    assert (order.address["name"], order.address["province"], order.note) == ("李四", "广东省", "工作日送达")
    assert sorted(CartItem.objects.filter(consumer=consumer).values_list("sku_id", "quantity")) == cart_before
    page.click("#sandbox-pay")
    expect(page.locator("#payment-status")).to_have_text("已支付")
    page.goto(f"{base}/trade/cart/")
    expect(page.locator("main")).to_contain_text("龙井茶")
    expect(page.locator("main")).to_contain_text("白瓷茶杯")


def test_a_refusal_comes_back_to_the_confirm_page(live_server, phone_context):
    sku = SkuFactory(product__title="限量茶饼", stock=3, retail_price=20000)
    home = AddressFactory()
    page = phone_context.new_page()
    sign_in(page, live_server.url, home.consumer, quote(f"/trade/buy/?sku_id={sku.pk}&quantity=2", safe="/"))
    expect(page.locator("#checkout-total")).to_have_text("¥400.00")
    type(sku).objects.filter(pk=sku.pk).update(stock=1)  # sold meanwhile
    page.click("#place-order")
    expect(page.locator("#buy-errors")).to_contain_text("仅剩 1 件")
    expect(page.locator("#buy-title")).to_have_text("限量茶饼")
    assert not Order.objects.exists()
    page.fill("#buy-quantity", "1")
    page.locator("#buy-quantity").dispatch_event("change")
    expect(page.locator("#checkout-total")).to_have_text("¥200.00")
    page.click("#place-order")
    expect(page).to_have_url(re.compile("/payments/sandbox/cashier/"))
    assert Order.objects.get().lines.get().quantity == 1
