"""The finance journey in Debian's Chromium: the brand's finance person opens its settlement
statement and downloads it; two platform staff make and approve a payout run (maker–checker);
the reconciliation page shows a break and a staff member resolves it with a ledger adjustment."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import save_screenshot, sign_in
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.core import clock
from fenxiao.ledger import selectors
from fenxiao.ledger.models import AccountCode, PayoutRun
from fenxiao.ledger.tests.test_payouts import owed
from fenxiao.ledger.tests.test_statement_pages import statement_of
from fenxiao.payments.gateways.sandbox import CHINA
from fenxiao.payments.models import ReconciliationBreak, SandboxTransaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _desk(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")


def test_statement_payout_run_and_reconciliation(live_server, browser):
    base = live_server.url
    finance = BrandStaffFactory(role=BrandRole.FINANCE)
    brand = finance.brand
    BrandStaffFactory(brand=brand, role=BrandRole.OWNER)
    statement = statement_of(brand)
    owed(brand, 50000)
    maker, checker = UserFactory(is_staff=True), UserFactory(is_staff=True)

    # The brand's finance person opens the statement and downloads it.
    desk = _desk(browser)
    page = desk.new_page()
    sign_in(page, base, finance.user, f"/console/b/{brand.pk}/finance/statements/")
    page.click(f"a[href='/console/b/{brand.pk}/finance/statements/{statement.pk}/']")
    expect(page.locator("main")).to_contain_text("¥99.00")
    with page.expect_download() as download:
        page.click("a[href='?format=csv']")
    assert download.value.suggested_filename.endswith(".csv")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "98.00" in csv_text
    desk.close()

    # Maker–checker: one staff member makes the run, the same one cannot approve, another does.
    desk = _desk(browser)
    page = desk.new_page()
    sign_in(page, base, maker, "/platform/finance/payouts/")
    page.fill("input[name=minimum]", "100")
    page.fill("input[name=reserve]", "0")
    page.click("main form.card button.primary")
    run = PayoutRun.objects.get()
    expect(page).to_have_url(f"{base}/platform/finance/payouts/{run.pk}/")
    page.click("form[action$='/approve/'] button")
    expect(page.locator("main")).to_contain_text(brand.name)
    assert PayoutRun.objects.get().status == "draft"
    desk.close()
    desk = _desk(browser)
    page = desk.new_page()
    sign_in(page, base, checker, f"/platform/finance/payouts/{run.pk}/")
    page.click("form[action$='/approve/'] button")
    page.click("form[action$='/execute/'] button")
    expect(page.locator("main table")).to_contain_text("¥500.00")
    run.refresh_from_db()
    assert (run.status, run.approved_by_id) == ("executed", checker.pk)

    # The sandbox provider took a payment yesterday that we never recorded: a break.
    yesterday_noon = (clock.now().astimezone(CHINA) - timedelta(days=1)).replace(hour=12, minute=0)
    SandboxTransaction.objects.create(
        token=secrets.token_urlsafe(16),
        out_trade_no="PBROWSER0000000001",
        merchant="fenxiao",
        description="unknown",
        amount=1234,
        notify_url="http://127.0.0.1/",
        return_url="/",
        state="SUCCESS",
        transaction_id="4200browser",
        success_time=yesterday_noon,
    )
    page.goto(f"{base}/platform/finance/reconciliation/")
    page.select_option("select[name=provider]", "sandbox")
    page.fill("input[name=date]", yesterday_noon.date().isoformat())
    page.click("#reconcile-form button")
    brk = ReconciliationBreak.objects.get()
    row = page.locator(f"#break-{brk.pk}")
    expect(row).to_contain_text("PBROWSER0000000001")
    expect(row).to_contain_text("¥12.34")
    save_screenshot(page, "reconciliation-break.png")
    row.locator("input[name=note]").fill("渠道收款未入账，已补记")
    row.locator("input[name=adjust]").check()
    row.locator("button").click()
    expect(page.locator(f"#break-{brk.pk} .break-resolved")).to_be_visible()
    brk.refresh_from_db()
    assert brk.resolved_by_id == checker.pk and brk.adjustment == 1234
    assert selectors.balance(AccountCode.RECONCILIATION_DIFF) == -1234
    assert selectors.trial_balance() == 0 and selectors.balances_match_lines()
    desk.close()
