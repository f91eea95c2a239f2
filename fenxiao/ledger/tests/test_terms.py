"""Ledger words for people: every entry kind the ledger posts and every account code reads in
Chinese, and each balance says what its sign means."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.ledger import terms
from fenxiao.ledger.models import AccountCode

CJK = re.compile(r"[\u4e00-\u9fff]")
POSTING_MODULES = [
    Path(terms.__file__).with_name(name) for name in ("services.py", "partner.py", "payouts.py")
]


def test_every_kind_the_ledger_posts_has_a_chinese_name():
    posted = {
        kind
        for module in POSTING_MODULES
        if module.exists()
        for kind in re.findall(r'kind="([a-z_]+)"', module.read_text())
    }
    assert posted and posted <= set(terms.ENTRY_KINDS)
    with translation.override("zh-hans"):
        for kind in terms.ENTRY_KINDS:
            assert CJK.search(terms.entry_kind_label(kind)), kind
            assert CJK.search(terms.entry_kind_label(f"reversal:{kind}")), kind
        for code in AccountCode.values:
            assert CJK.search(terms.account_label(code)), code
            for balance in (-1, 0, 1):
                assert CJK.search(terms.balance_note(code, balance)), (code, balance)
        assert terms.entry_kind_label("reversal:brand_payout") == "冲销：向品牌付款"
    assert terms.entry_kind_label("something_new") == "something_new"


def test_negative_and_positive_balances_are_explained():
    owed = terms.balance_note(AccountCode.COMMISSION_AVAILABLE, -500)
    claw_back = terms.balance_note(AccountCode.COMMISSION_AVAILABLE, 500)
    assert "owed to the distributor" in owed and "claw-back" in claw_back


@pytest.mark.django_db
def test_trial_balance_reads_in_chinese(client):
    from fenxiao.ledger import services as ledger

    ledger.record_payment_received(payment_reference="p1", amount=1000, idempotency_key="p1")
    client.force_login(UserFactory(is_staff=True))
    body = client.get("/platform/ledger/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "收到付款" in body and "payment_received" not in body and "复式记账" in body
    assert "负数：代消费者暂存的订单货款" in body


@pytest.mark.django_db
def test_payout_runs_read_in_yuan_and_percent(client):
    from fenxiao.ledger.models import PayoutRun

    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    page = client.get("/platform/finance/payouts/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "最低打款金额（元）" in page and "未结售后保留比例（%）" in page and "基点" not in page
    run = PayoutRun.objects.create(created_by=staff, minimum=10000, reserve_bps=1250)
    page = client.get(f"/platform/finance/payouts/{run.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "¥100.00" in page and "12.5%" in page and "未结售后保留比例（%）" in page


@pytest.mark.django_db
def test_the_audit_log_names_ledger_postings(client):
    from fenxiao.core import audit
    from fenxiao.core.models import AuditCategory

    audit.record(AuditCategory.MONEY, "ledger.order_settled")
    client.force_login(UserFactory(is_staff=True))
    body = client.get("/platform/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "订单结算 (ledger.order_settled)" in body


@pytest.mark.django_db
def test_a_negative_closing_balance_is_explained(client):
    from fenxiao.accounts.roles import BrandRole
    from fenxiao.accounts.tests.factories import BrandStaffFactory
    from fenxiao.ledger.tests.factories import statement

    owner = BrandStaffFactory(role=BrandRole.OWNER)
    owed = statement(owner.brand, refunds=500, closing=-500)
    fine = statement(owner.brand, start=owed.period_end, gross=800, settled=800, closing=800)
    client.force_login(owner.user)
    url = f"/console/b/{owner.brand_id}/finance/statements/"
    body = client.get(f"{url}{owed.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "低于零表示品牌欠平台款项" in body and "¥-5.00" in body
    assert "negative-balance" not in client.get(f"{url}{fine.pk}/").content.decode()
