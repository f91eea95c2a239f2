"""Brand staff sign in and open the data cube in Chromium: numbers, line / funnel / bar charts
(inline SVG, no network), a narrower date range, and a CSV download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.distribution import services
from fenxiao.distribution.models import LinkKind
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade import refunds
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PROVINCES = ["浙江省", "广东省", "上海市", "四川省", "北京市"]


def trading_history(brand_name: str):
    first = ProductFactory(title="高山云雾绿茶", brand__name=brand_name)
    brand = first.brand
    teas = [SkuFactory(product=first, retail_price=12800, stock=500)] + [
        SkuFactory(product=ProductFactory(title=title, brand=brand), retail_price=price, stock=500)
        for title, price in (("正山小种红茶", 9900), ("白毫银针", 26800))
    ]
    stores = []
    for name in ("小雅的茶铺", "山间茶友", "阿明优选"):
        member = distributor_of(brand)
        member.distributor.distributor.store_name = name
        member.distributor.distributor.save()
        stores.append(services.share_link(distributor=member.distributor, brand=brand, kind=LinkKind.STORE))
    buyers = [AddressFactory(province=PROVINCES[i % len(PROVINCES)]) for i in range(8)]
    clock.advance(timedelta(days=-20))
    for day in range(20):
        for i in range(1 + (day * 7) % 4):
            buyer = buyers[(day + i) % len(buyers)]
            link = stores[(day + i) % len(stores)]
            services.record_visit(
                link=link, visitor=buyer.consumer if i % 2 else None, session_key=f"s{day}{i}"
            )
            if (day + i) % 3:
                checkout = place_order(
                    consumer=buyer.consumer,
                    address_id=buyer.pk,
                    items=[(teas[(day * 2 + i) % 3].pk, 1 + i % 2)],
                )
                if (day + i) % 5:
                    pay_checkout(checkout)
                    if day % 9 == 0:
                        order = checkout.orders.get()
                        refunds.refund_order(
                            order_id=order.pk, amount=2000, reason="破损", reference=f"d{day}{i}"
                        )
        clock.advance(timedelta(days=1))
    run_pending()
    return brand


def test_brand_staff_see_dashboard_with_charts(live_server, browser):
    brand = trading_history("山野茶社")
    owner = BrandStaffFactory(brand=brand, role=BrandRole.OPERATIONS, user=UserFactory())
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    sign_in(page, live_server.url, owner.user, f"/console/b/{brand.pk}/analytics/")
    expect(page.locator("h1")).to_contain_text("数据魔方")
    expect(page.locator("svg.line-chart")).to_be_visible()
    expect(page.locator("svg.line-chart circle")).to_have_count(30)  # one point per day of the default range
    expect(page.locator("svg.funnel-chart")).to_be_visible()
    expect(page.locator("svg.bar-chart")).to_contain_text("高山云雾绿茶")
    expect(page.locator("[data-kpi=paid_amount] .v")).not_to_have_text("¥0.00")
    expect(page.locator("#table-distributor")).to_contain_text("小雅的茶铺")
    save_screenshot(page, "analytics-dashboard.png", docs_copy=True)

    today = timezone.localdate(clock.now())
    page.fill("input[name=start]", (today - timedelta(days=6)).isoformat())
    page.fill("input[name=end]", today.isoformat())
    page.select_option("select[name=grain]", "day")
    page.click("text=查看数据")
    expect(page.locator("#table-periods tbody tr")).to_have_count(7)
    with page.expect_download() as download:
        page.locator("#table-product a", has_text="CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    desk.close()
    clock.reset()
