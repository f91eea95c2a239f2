"""On a 390×844 phone in zh-Hans: a consumer signs up with an SMS code (read from the console
provider, as they would read their SMS) and adds an address with the province/city/district picker."""

import re

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot
from fenxiao.accounts.models import User
from fenxiao.trade.tests.browser_journeys import pick_division, sms_code_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13855556666"


def test_consumer_signs_up_with_an_sms_code_and_picks_an_address(live_server, phone_context):
    base = live_server.url
    page = phone_context.new_page()
    page.goto(f"{base}/accounts/signup/?next=/trade/addresses/")
    expect(page.locator("#send-sms-code")).to_have_text("获取验证码")
    page.fill("input[name=phone]", PHONE)
    code = sms_code_in_browser(page, PHONE)
    expect(page.locator("#sms-status")).to_have_text("验证码已发送，10 分钟内有效。")
    page.fill("input[name=password1]", "Tea-leaf-2026!")
    page.fill("input[name=password2]", "Tea-leaf-2026!")
    wrong = "000000" if code != "000000" else "111111"
    page.fill("input[name=sms_code]", wrong)
    page.click("#submit-signup")
    expect(page.locator(".errorlist")).to_contain_text("验证码错误，还可以尝试 4 次。")
    save_screenshot(page, "signup-wrong-sms-code.png")
    assert not User.objects.filter(phone=PHONE).exists()

    page.fill("input[name=sms_code]", code)
    page.fill("input[name=password1]", "Tea-leaf-2026!")
    page.fill("input[name=password2]", "Tea-leaf-2026!")
    page.click("#submit-signup")
    expect(page).to_have_url(re.compile("/trade/addresses/$"))
    consumer = User.objects.get(phone=PHONE)

    page.fill("input[name=name]", "赵六")
    page.fill("input[name=phone]", PHONE)
    pick_division(page, "广东省", "深圳市", "南山区")
    page.fill("input[name=detail]", "科技园 1 号")
    save_screenshot(page, "address-picker.png")
    page.click("#address-form button[type=submit]")
    expect(page.locator(".card .muted").first).to_have_text("广东省深圳市南山区科技园 1 号")
    address = consumer.addresses.get()
    assert (address.province_code, address.city_code, address.district_code) == ("440000", "440300", "440305")
