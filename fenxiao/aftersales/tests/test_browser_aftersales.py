"""The after-sales journey in Debian's Chromium: a consumer asks to return goods with a photo, the
brand rejects, the consumer escalates, platform staff decide a partial refund; the consumer,
the brand and the distributor each see the right amounts."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.aftersales.models import AftersaleRequest, Status
from fenxiao.distribution.models import Commission

from .factories import scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_return_rejected_escalated_partially_refunded(live_server, browser, phone_context, tmp_path):
    base = live_server.url
    s = scene(quantity=2, price=10000)  # paid ¥200.00, commission 10% = ¥20.00
    s.ship()
    platform = UserFactory(is_staff=True)
    picture = tmp_path / "broken.png"
    out = io.BytesIO()
    Image.new("RGB", (120, 90), "orange").save(out, "PNG")
    picture.write_bytes(out.getvalue())

    consumer = phone_context.new_page()
    sign_in(consumer, base, s.consumer, f"/trade/orders/{s.order.pk}/")
    consumer.click("#aftersales-apply")
    consumer.select_option("select[name=line]", str(s.line.pk))
    consumer.select_option("select[name=kind]", "return_refund")
    consumer.select_option("select[name=reason]", "damaged")
    consumer.fill("input[name=amount]", "200.00")
    consumer.fill("textarea[name=description]", "两件都碎了")
    consumer.set_input_files("#apply-photos", str(picture))
    consumer.click("#apply-submit")
    expect(consumer.locator("#aftersale-status")).to_have_attribute("class", "badge badge-requested")
    expect(consumer.locator(".aftersale-summary img")).to_have_count(1)
    item = AftersaleRequest.objects.get()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    brand = desk.new_page()
    sign_in(brand, base, s.service.user, f"/console/b/{s.sku.brand_id}/aftersales/")
    brand.click(f"text={item.request_no}")
    expect(brand.locator(".aftersale-summary img")).to_have_count(1)  # the brand sees the evidence
    brand.fill("#decision-note", "包装完好，非运输损坏")
    brand.click("#reject")
    expect(brand.locator("#aftersale-status")).to_have_attribute("class", "badge badge-rejected")

    consumer.reload()
    consumer.fill("#escalate-note", "收到时就是碎的，有照片")
    consumer.click("#escalate")
    expect(consumer.locator("#aftersale-status")).to_have_attribute("class", "badge badge-disputed")

    judge_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    judge = judge_context.new_page()
    sign_in(judge, base, platform, "/aftersales/platform/")
    judge.click(f"text={item.request_no}")
    expect(judge.locator("#thread")).to_contain_text("包装完好")  # both sides' words
    judge.check("input[name=outcome][value=partial]")
    judge.fill("input[name=amount]", "60.00")
    judge.fill("input[name=note]", "各担部分责任")
    judge.click("#decide")
    expect(judge.locator("#aftersale-status")).to_have_attribute("class", "badge badge-refunded")
    judge_context.close()

    item.refresh_from_db()
    assert item.status == Status.REFUNDED and item.refunded_amount == 6000
    assert Commission.objects.get(order=s.order).reversed_amount == 600

    consumer.reload()
    expect(consumer.locator("#amount-refunded")).to_have_text("¥60.00")
    save_screenshot(consumer, "aftersales-consumer.png")
    consumer.goto(f"{base}/trade/orders/{s.order.pk}/")
    expect(consumer.locator("main")).to_contain_text("¥60.00")

    brand.goto(f"{base}/console/b/{s.sku.brand_id}/aftersales/{item.pk}/")
    expect(brand.locator("#amount-refunded")).to_have_text("¥60.00")
    desk.close()

    distributor = phone_context.new_page()
    phone_context.clear_cookies()
    sign_in(distributor, base, s.distributor, "/d/orders/")
    expect(distributor.locator(".commission-reversed")).to_contain_text("¥6.00")
    expect(distributor.locator("main")).to_contain_text("¥20.00")
    save_screenshot(distributor, "aftersales-distributor.png")
