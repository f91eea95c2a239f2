"""Shared steps of the browser journeys in Chromium (checkout, SMS sign-up, the address picker,
shipping with a courier, the tracking timeline fed by the local Kuaidi100)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from playwright.sync_api import expect

from conftest import save_screenshot
from fenxiao.catalog.images import make_thumbnail
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.trade.tracking.local import LocalKuaidi100
from fenxiao.web.demo_pictures import pictures_for


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


def add_address_at_checkout(page) -> None:
    """On the checkout or the "buy now" confirm page: a new address (李四, 浙江省 杭州市 西湖区) through the picker."""
    page.click("#add-address")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=phone]", "13912345678")
    pick_division(page, "浙江省", "杭州市", "西湖区")
    page.fill("input[name=detail]", "文一西路 1 号")
    page.click("main form button[type=submit]")


def order_tea_and_two_towels(page, base: str, tea, towel) -> None:
    """A signed-in consumer's phone: tea and two towels (two brands) into the cart, the cart's
    checkout, a new address, the checkout total (¥186.00) checked, the order placed."""
    page.goto(f"{base}/shop/p/{tea.product_id}/")
    page.click("label:has-text('250g')")
    page.click("#add-to-cart")
    expect(page).to_have_url(re.compile("/trade/cart/$"))
    page.goto(f"{base}/shop/p/{towel.product_id}/")
    page.click("label:has-text('白')")
    page.fill("#quantity", "2")
    page.click("#add-to-cart")
    expect(page).to_have_url(re.compile("/trade/cart/$"))
    page.click("#go-checkout")
    expect(page).to_have_url(re.compile("/trade/checkout/$"))
    add_address_at_checkout(page)
    expect(page.locator("#checkout-total")).to_have_text("¥186.00")
    page.click("#place-order")


@contextmanager
def local_kuaidi100(settings) -> Iterator[LocalKuaidi100]:
    """The local Kuaidi100 (real protocol, real signatures) as the tracking provider."""
    server = LocalKuaidi100(customer="C1", key="K1").start()
    settings.TRACKING_PROVIDER, settings.KUAIDI100_URL = "kuaidi100", server.url
    settings.KUAIDI100_CUSTOMER, settings.KUAIDI100_KEY = "C1", "K1"
    try:
        yield server
    finally:
        server.stop()


def add_pictures(product, label: str, color: tuple[int, int, int], *, seed: int = 1) -> None:
    """Give ``product`` the demo's generated gallery pictures (with thumbnails)."""
    for position, raw in enumerate(pictures_for(label, color, seed=seed)):
        picture = ProductImage(product=product, position=position, width=800, height=800)
        picture.image.save(f"p{product.pk}-{position}.jpg", ContentFile(raw), save=False)
        picture.thumbnail.save(
            f"p{product.pk}-{position}-t.jpg", ContentFile(make_thumbnail(raw)), save=False
        )
        picture.save()


def ship_with_courier(brand, *, carrier: str, tracking_no: str, screenshot: str | None = None) -> None:
    """On the brand console's order page: choose the courier from the list, type the tracking
    number, ship; the order shows 已发货."""
    brand.select_option("select[name=carrier]", carrier)
    brand.fill("input[name=tracking_no]", tracking_no)
    if screenshot:
        save_screenshot(brand, screenshot, docs_copy=True, full_page=False)
    brand.click("#ship-form button.primary")
    expect(brand.locator("#order-status")).to_have_text("已发货")


def see_tracking_timeline(
    page, base: str, order_no: str, *, carrier_name: str, screenshots: tuple[str, str] | None = None
) -> None:
    """The consumer's phone: the order under 待收货, then its logistics with the local Kuaidi100's
    four-step route (out for delivery: 派件中)."""
    page.goto(f"{base}/trade/orders/?tab=to_receive")
    card = page.locator(f"[data-order='{order_no}']")
    expect(card.locator(".order-status")).to_have_text("已发货")
    expect(card.locator(".order-confirm")).to_have_text("确认收货")
    if screenshots:
        save_screenshot(page, screenshots[0], docs_copy=True, full_page=False)
    card.locator(".order-logistics").click()
    expect(page.locator(".shipment-carrier")).to_have_text(carrier_name)
    expect(page.locator(".tracking-state")).to_have_text("派件中")
    expect(page.locator(".tracking-event")).to_have_count(4)
    page.locator("#logistics").scroll_into_view_if_needed()
    if screenshots:
        save_screenshot(page, screenshots[1], docs_copy=True, full_page=False)
