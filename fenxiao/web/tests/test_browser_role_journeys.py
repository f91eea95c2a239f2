"""One journey per role, each in one run, in zh-Hans (Debian's Chromium).

- The consumer, on a 390×844 phone: opens a distributor's share link as a new visitor, signs up
  with an SMS code, adds an address with the province/city/district picker, buys at the
  distributor's store price (the order is attributed to the distributor), pays in the sandbox,
  sees the order under 待发货; the brand, on a desktop console, ships it choosing a courier; the
  consumer sees it under 待收货 with the tracking timeline from the local Kuaidi100.
- Platform staff, on a desktop: sign in, land on /platform/ and follow every entry of the
  platform menu (read from ``web.navigation.PLATFORM_NAV``), each page a zh-Hans page.

(The distributor's journey, copying a material and saving a poster, is
``distribution/tests/test_browser_tools.py``; the brand refused while a refund is open is
``trade/tests/test_browser_h5_journey.py``.)  Screenshots go to test-artifacts/, and with
``FENXIAO_UPDATE_DOCS_IMG=1`` to docs/img/journey-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.models import User
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.jobs import run_pending
from fenxiao.distribution import services
from fenxiao.distribution.models import LinkKind
from fenxiao.distribution.tests.factories import distributor_of, program_of
from fenxiao.trade.models import Order, OrderStatus
from fenxiao.trade.tests.browser_journeys import (
    add_pictures,
    local_kuaidi100,
    pick_division,
    see_tracking_timeline,
    ship_with_courier,
    sms_code_in_browser,
)
from fenxiao.web.navigation import PLATFORM_NAV
from fenxiao.web.templatetags.console import _platform_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13866667777"
PASSWORD = "Tea-leaf-2026!"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _shot(page, name: str) -> None:
    save_screenshot(page, f"journey-{name}.png", docs_copy=True, full_page=False)


def test_consumer_from_a_share_link_to_the_tracking_timeline(live_server, browser, phone_context, settings):
    base = live_server.url
    sku = SkuFactory(
        product=ProductFactory(title="明前龙井", brand__name="山野茶社", spec_names=["规格"]),
        spec_values={"规格": "250g"},
        retail_price=12800,
        price_min=11000,
        price_max=15000,
        stock=10,
    )
    add_pictures(sku.product, "龙井", (90, 140, 70))
    program_of(sku.brand, level1_bps=1000)
    member = distributor_of(sku.brand)
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=11800)
    link = services.share_link(
        distributor=member.distributor, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
    )
    staff = BrandStaffFactory(brand=sku.brand, role=BrandRole.OPERATIONS)

    with local_kuaidi100(settings) as kuaidi100:
        # A new visitor taps the distributor's link: the product at the distributor's price.
        page = phone_context.new_page()
        page.goto(f"{base}/s/{link.code}")
        expect(page).to_have_url(re.compile(rf"/shop/p/{sku.product_id}/$"))
        expect(page.locator("#price")).to_have_text("¥118.00")
        page.fill("#quantity", "2")
        _shot(page, "consumer-1-share-link")
        page.click("#sign-in-to-buy")
        expect(page).to_have_url(re.compile("/accounts/signin/"))
        page.locator("main a", has_text="注册").click()

        # Sign up with the SMS code (read from the console provider's outbox).
        expect(page).to_have_url(re.compile("/accounts/signup/"))
        page.fill("input[name=phone]", PHONE)
        code = sms_code_in_browser(page, PHONE)
        page.fill("input[name=sms_code]", code)
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        _shot(page, "consumer-2-sms-signup")
        page.click("#submit-signup")
        expect(page).to_have_url(re.compile(rf"/shop/p/{sku.product_id}/\?sku_id={sku.pk}&quantity=2$"))
        consumer = User.objects.get(phone=PHONE)
        assert consumer.bindings.get().distributor == member.distributor

        # Buy now: the confirm-order page, a new address from the picker, the distributor's price.
        expect(page.locator("#quantity")).to_have_value("2")
        page.click("#buy-now")
        expect(page).to_have_url(re.compile(rf"/trade/buy/\?sku_id={sku.pk}&quantity=2$"))
        page.click("#add-address")
        page.fill("input[name=name]", "赵六")
        page.fill("input[name=phone]", PHONE)
        pick_division(page, "广东省", "深圳市", "南山区")
        page.fill("input[name=detail]", "科技园 1 号")
        _shot(page, "consumer-3-address-picker")
        page.click("main form button[type=submit]")
        expect(page.locator("#checkout-total")).to_have_text("¥236.00")
        page.click("#place-order")
        page.click("#sandbox-pay")
        expect(page.locator("#payment-status")).to_have_text("已支付")
        run_pending()
        order = Order.objects.get(consumer=consumer)
        assert (order.status, order.distributor_id) == (OrderStatus.PAID, member.distributor_id)
        assert (order.paid_amount, order.address["district"]) == (23600, "南山区")

        page.goto(f"{base}/trade/orders/")
        page.click("#tab-to_ship")
        card = page.locator(f"[data-order='{order.order_no}']")
        expect(card.locator(".order-status")).to_have_text("已支付")
        _shot(page, "consumer-4-to-ship")

        # The brand, on its desktop console, ships it with a courier chosen from the list.
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        brand = desk.new_page()
        sign_in(brand, base, staff.user, f"/console/b/{sku.brand_id}/orders/{order.pk}/")
        expect(brand.locator("select[name=carrier] option", has_text="中通快递")).to_have_count(1)
        ship_with_courier(
            brand, carrier="zhongtong", tracking_no="ZT7788990011", screenshot="journey-brand-ship.png"
        )
        desk.close()
        run_pending()  # the tracking job asks the local Kuaidi100 (signed query)
        assert kuaidi100.queries[-1]["com"] == "zhongtong"

        # Back on the phone: 待收货, then the tracking timeline.
        see_tracking_timeline(
            page,
            base,
            order.order_no,
            carrier_name="中通快递",
            screenshots=("journey-consumer-5-to-receive.png", "journey-consumer-6-tracking.png"),
        )


def _menu_entries() -> list[str]:
    """The platform menu's URLs, as the menu renders them (entries that exist)."""
    return [url for target, _label in PLATFORM_NAV if (url := _platform_url(target))]


def test_platform_staff_reach_every_page_of_the_menu(live_server, browser):
    base = live_server.url
    staff = UserFactory(is_staff=True, is_superuser=True)
    entries = _menu_entries()
    assert len(entries) == len(PLATFORM_NAV)  # every entry of the menu exists

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    failures: list[str] = []
    page.on("response", lambda r: r.status >= 500 and failures.append(f"{r.status} {r.url}"))
    sign_in(page, base, staff, "")
    expect(page).to_have_url(f"{base}/platform/")
    menu = page.locator(".platform-menu")
    expect(menu.locator("a")).to_have_count(len(entries))
    # "Brands" once read 品牌数 here: the ledger's column header (a count) shared its msgid.
    expect(menu.locator("a[href='/admin/accounts/brand/']")).to_have_text("品牌")
    _shot(page, "platform-home")
    for url in entries:
        page.goto(f"{base}/platform/")
        with page.expect_navigation():
            page.locator(f".platform-menu a[href='{url}']").click()
        assert page.url == f"{base}{url}", url
        heading = page.locator("h1").first
        expect(heading).to_be_visible()
        assert CJK.search(heading.inner_text()), (url, heading.inner_text())
        assert page.locator("html").get_attribute("lang") == "zh-hans", url
        if not url.startswith("/admin/"):  # Django's admin has its own chrome
            menus = page.locator(".console-nav, .platform-menu")
            for other in entries:  # the one menu on every platform page, to go on from here
                assert menus.locator(f"a[href='{other}']").count() >= 1, (url, other)
    assert failures == []
    context.close()
