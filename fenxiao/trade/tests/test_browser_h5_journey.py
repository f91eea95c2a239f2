"""The H5 shop on a 390×844 phone in zh-Hans (Debian's Chromium): a guest swipes the gallery,
picks a SKU (never covered by the buy bar), taps buy, signs in and comes back to the same SKU and
quantity, pays, sees the order under 待发货; the brand ships choosing a courier (and is refused on
an order with an open refund); the consumer sees it under 待收货 with the tracking timeline fed
by the (local) Kuaidi100 provider.  Screenshots go to docs/img/ with FENXIAO_UPDATE_DOCS_IMG=1."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD, BrandStaffFactory, UserFactory
from fenxiao.aftersales import services as aftersales
from fenxiao.aftersales.models import Kind, Reason
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.jobs import run_pending
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Order, OrderStatus

from .browser_journeys import (
    add_address_at_checkout,
    add_pictures,
    local_kuaidi100,
    see_tracking_timeline,
    ship_with_courier,
)
from .factories import AddressFactory, pay_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kuaidi100(settings):
    with local_kuaidi100(settings) as server:
        yield server


def _teapot():
    product = ProductFactory(title="紫砂壶", brand__name="山野茶社", spec_names=["容量"])
    small = SkuFactory(product=product, spec_values={"容量": "150ml"}, retail_price=29800, stock=8)
    SkuFactory(product=product, spec_values={"容量": "250ml"}, retail_price=35800, stock=8)
    add_pictures(product, "茶具", (150, 80, 60))
    return product, small


def _not_covered(page, selector: str) -> None:
    """``selector`` scrolled into the middle of the screen ends above the fixed buy bar, and at
    the very bottom of the page nothing of the content is left under it."""
    page.locator(selector).evaluate("e => e.scrollIntoView({block: 'center'})")
    bar = page.locator(".buy-bar").bounding_box()
    assert (
        page.locator(selector).bounding_box()["y"] + page.locator(selector).bounding_box()["height"]
        <= bar["y"]
    )
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last = page.evaluate(
        "(() => { const m = document.querySelector('main'); const r = m.lastElementChild.getBoundingClientRect(); return r.bottom; })()"
    )
    assert last <= page.locator(".buy-bar").bounding_box()["y"] + 1


def test_phone_buy_pay_ship_track(live_server, browser, phone_context, kuaidi100):
    base = live_server.url
    product, small = _teapot()
    staff = BrandStaffFactory(brand=product.brand, role=BrandRole.OPERATIONS)
    consumer = UserFactory()

    page = phone_context.new_page()
    page.goto(f"{base}/shop/p/{product.pk}/")
    expect(page.locator("#gallery img")).to_have_count(3)
    expect(page.locator("link[rel=icon]")).to_have_count(1)
    expect(page.locator(".platform-name")).to_have_text("fenxiao 分销")
    page.click("label:has-text('150ml')")
    page.fill("#quantity", "2")
    _not_covered(page, "#spec-groups")
    _not_covered(page, "#quantity")
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "h5-product.png", docs_copy=True, full_page=False)
    page.locator("#gallery").evaluate("g => g.scrollBy({left: g.clientWidth})")  # swipe
    expect(page.locator("#gallery")).to_have_js_property("scrollLeft", 390)

    page.click("#sign-in-to-buy")  # a guest: sign in first, then back to the same SKU and quantity
    expect(page).to_have_url(re.compile("/accounts/signin/"))
    page.fill("input[name=identifier]", consumer.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/shop/p/{product.pk}/\?sku_id={small.pk}&quantity=2$"))
    expect(page.locator("input[value='150ml']")).to_be_checked()
    expect(page.locator("#quantity")).to_have_value("2")
    expect(page.locator("#sku_id")).to_have_value(str(small.pk))
    page.click("#buy-now")  # the confirm-order page of this SKU and quantity
    expect(page).to_have_url(re.compile(rf"/trade/buy/\?sku_id={small.pk}&quantity=2$"))
    add_address_at_checkout(page)
    expect(page).to_have_url(re.compile(rf"/trade/buy/\?sku_id={small.pk}&quantity=2$"))
    expect(page.locator("#checkout-total")).to_have_text("¥596.00")
    page.click("#place-order")
    page.click("#sandbox-pay")
    expect(page.locator("#payment-status")).to_have_text("已支付")
    run_pending()
    order = Order.objects.get(consumer=consumer)
    assert order.status == OrderStatus.PAID

    page.goto(f"{base}/trade/orders/")
    page.click("#tab-to_ship")
    card = page.locator(f"[data-order='{order.order_no}']")
    expect(card.locator(".order-status")).to_have_text("已支付")
    expect(card.locator(".order-thumb")).to_have_count(1)
    expect(page.locator("#tab-to_ship")).to_have_attribute("aria-current", "page")
    save_screenshot(page, "h5-orders-to-ship.png", docs_copy=True, full_page=False)

    # The brand: an order with an open refund is refused; this one ships with a courier.
    held = AddressFactory()
    held_checkout = place_order(consumer=held.consumer, address_id=held.pk, items=[(small.pk, 1)])
    pay_checkout(held_checkout)
    held_order = held_checkout.orders.get()
    refund = aftersales.create_request(
        consumer=held.consumer,
        order_id=held_order.pk,
        line_id=None,
        kind=Kind.REFUND_ONLY,
        reason=Reason.CHANGED_MIND,
        amount=held_order.paid_amount,
    )
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    brand = desk.new_page()
    sign_in(brand, base, staff.user, f"/console/b/{product.brand_id}/orders/{held_order.pk}/")
    expect(brand.locator("#ship-blocked")).to_contain_text(refund.request_no)
    expect(brand.locator("#ship-form")).to_have_count(0)
    save_screenshot(brand, "console-ship-refused-open-refund.png", docs_copy=True, full_page=False)

    brand.goto(f"{base}/console/b/{product.brand_id}/orders/{order.pk}/")
    # Bad input: a courier code not in the list (a tampered select) — a clear message, nothing written.
    brand.locator("select[name=carrier]").evaluate(
        "s => { const o = new Option('fedex-moon', 'fedex-moon'); s.add(o); s.value = 'fedex-moon'; }"
    )
    brand.fill("input[name=tracking_no]", "FX1")
    brand.click("#ship-form button.primary")
    expect(brand.locator("#ship-form")).to_contain_text("“fedex-moon”不在快递公司列表中")
    assert not order.shipments.exists()
    ship_with_courier(
        brand, carrier="shunfeng", tracking_no="SF1234567890", screenshot="console-ship-courier.png"
    )
    desk.close()
    run_pending()  # the tracking job asks the local Kuaidi100 (signed query)
    assert kuaidi100.queries[-1] == {
        "com": "shunfeng",
        "num": "SF1234567890",
        "phone": "13912345678",
        "resultv2": "0",
    }

    see_tracking_timeline(
        page,
        base,
        order.order_no,
        carrier_name="顺丰速运",
        screenshots=("h5-orders-to-receive.png", "h5-order-tracking.png"),
    )
    page.click("#confirm-receipt")
    expect(page.locator("#order-status")).to_have_text("已完成")

    # The cart: a line can be unticked (checkout skips it) and deleted.
    page.goto(f"{base}/shop/p/{product.pk}/")
    page.click("label:has-text('250ml')")
    page.click("#add-to-cart")
    expect(page).to_have_url(re.compile("/trade/cart/$"))
    expect(page.locator("#cart-total")).to_have_text("¥358.00")
    page.click(".cart-select")
    expect(page.locator("#cart-total")).to_have_text("¥0.00")
    expect(page.locator(".cart-select")).to_have_attribute("aria-pressed", "false")
    save_screenshot(page, "h5-cart.png", docs_copy=True, full_page=False)
    page.click(".cart-delete")
    expect(page.locator(".cart-row")).to_have_count(0)
