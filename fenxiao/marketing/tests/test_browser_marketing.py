"""The marketing journey in Debian's Chromium on a phone: a consumer claims a coupon, buys with it in
a flash sale, then opens a group that a second consumer joins through the share link and
completes."""

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.jobs import run_pending
from fenxiao.marketing.models import FlashSale, Group, GroupStatus, MemberCoupon
from fenxiao.trade.models import Order, OrderStatus
from fenxiao.trade.tests.factories import AddressFactory

from .factories import CouponFactory, FlashSaleFactory, GroupDealFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pay(page) -> None:
    expect(page).to_have_url(re.compile("/payments/"))
    page.click("#sandbox-pay")
    expect(page.locator("#payment-status")).to_have_text("已支付")
    run_pending()  # the provider's signed notification reaches the live server


def test_coupon_flash_sale_and_group(live_server, browser, phone_context):
    base = live_server.url
    sku = SkuFactory(
        product=ProductFactory(title="明前龙井", brand__name="山野茶社", spec_names=["规格"]),
        spec_values={"规格": "250g"},
        retail_price=10000,
        stock=20,
    )
    coupon = CouponFactory(brand=sku.brand, name="新客立减5元", amount=500)
    sale = FlashSaleFactory(sku=sku, price=6000, quantity=5)
    deal = GroupDealFactory(sku=sku, price=7000, size=2)
    alice, bob = UserFactory(), UserFactory()
    AddressFactory(consumer=alice)
    AddressFactory(consumer=bob, name="王五")

    page = phone_context.new_page()
    sign_in(page, base, alice, "/marketing/coupons/")
    page.click(f"#coupon-{coupon.pk} button.claim")
    expect(page).to_have_url(re.compile("/marketing/coupons/mine/$"))
    expect(page.locator(".coupon-available")).to_have_count(1)

    page.goto(f"{base}/shop/p/{sku.product_id}/")
    expect(page.locator(f"#flash-offer-{sale.pk}")).to_be_visible()
    expect(page.locator(f"#group-offer-{deal.pk}")).to_be_visible()
    save_screenshot(page, "marketing-product-offers.png")
    page.click(f"#flash-buy-{sale.pk}")
    expect(page.locator("#flash-price")).to_have_text("¥60.00")
    page.check("input[name=coupon]")
    page.click("#apply-coupons")
    expect(page.locator("#buy-total")).to_have_text("¥55.00")
    save_screenshot(page, "marketing-flash-sale.png")
    page.click("#buy")
    _pay(page)
    flash_order = Order.objects.get(consumer=alice)
    assert flash_order.status == OrderStatus.PAID and flash_order.paid_amount == 5500
    assert MemberCoupon.objects.get(consumer=alice).order_id == flash_order.pk
    assert FlashSale.objects.get(pk=sale.pk).sold == 1

    page.goto(f"{base}/shop/p/{sku.product_id}/")
    page.click(f"#group-open-{deal.pk}")
    expect(page.locator("#group-price")).to_have_text("¥70.00")
    page.click("#buy")
    _pay(page)
    page.goto(f"{base}/marketing/deals/{deal.pk}/")
    page.click("#my-group")
    share_link = page.locator("#share-link").input_value()
    group = Group.objects.get()
    assert share_link.endswith(f"/marketing/groups/{group.pk}/")
    expect(page.locator("#group-progress progress")).to_have_attribute("value", "1")

    friend = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    other = friend.new_page()
    sign_in(other, base, bob, f"/marketing/groups/{group.pk}/")
    expect(other.locator("#group-progress progress")).to_have_attribute("value", "1")
    other.click("#buy")
    _pay(other)
    other.goto(share_link)
    expect(other.locator("#group-progress progress")).to_have_attribute("value", "2")
    expect(other.locator("#joined")).to_be_visible()
    save_screenshot(other, "marketing-group-complete.png")
    friend.close()
    assert Group.objects.get(pk=group.pk).status == GroupStatus.SUCCEEDED
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 3
