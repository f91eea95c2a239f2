"""Daily reconciliation against the local WeChat Pay server's real-format bills (gzip CSV, the real
header and summary lines, SHA1 in the signed answer) and the sandbox's: one break of each kind is
found, exactly; a day already reconciled, a tampered bill and a bill whose signed answer does not
verify are refused with nothing written; resolutions keep the trial balance at 0."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.core import clock
from fenxiao.core.models import AuditRecord
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import AccountCode, JournalEntry
from fenxiao.payments import bills, purposes, services
from fenxiao.payments.gateways.sandbox import CHINA, pay_in_sandbox
from fenxiao.payments.models import (
    Payment,
    PaymentStatus,
    ReconciliationBreak,
    ReconciliationRun,
    RefundStatus,
    TransferStatus,
    WechatIdentity,
)
from fenxiao.payments.reconciliation import ReconciliationError, reconcile, reconcile_due, resolve_break
from fenxiao.payments.wechatpay_local.bills import BillInjections
from fenxiao.payments.wechatpay_local.merchant import connect_merchant

pytestmark = pytest.mark.django_db


class Quiet(purposes.PaymentPurpose):
    purpose = "recontest"


@pytest.fixture(autouse=True)
def handler():
    purposes.register(Quiet())
    yield
    purposes.unregister("recontest")


@pytest.fixture(autouse=True)
def noon():
    """Business happens at noon China time (never near midnight), so the bill's day is certain."""
    now = clock.now().astimezone(CHINA)
    target = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if target < now:
        target += timedelta(days=1)
    clock.advance(target - now)
    yield target.date()


@pytest.fixture(autouse=True)
def balanced():
    yield
    assert ledger_selectors.trial_balance() == 0 and ledger_selectors.balances_match_lines()


@pytest.fixture
def wx(wxpay):
    wxpay.bill_injections = BillInjections()
    yield wxpay
    wxpay.bill_injections = BillInjections()


def _merchant(wx):
    """A merchant of its own (the session's local server keeps every test's transactions)."""
    return connect_merchant(wx, mchid=str(1900000000 + secrets.randbelow(99999999)))


def _payment(amount: int, gateway: str) -> Payment:
    return services.create_payment(
        payer=UserFactory(),
        amount=amount,
        purpose="recontest",
        reference=f"recontest:{amount}",
        description="对账测试",
        gateway=gateway,
        expires_at=clock.now() + timedelta(minutes=30),
    )


def _wx_paid(wx, amount: int) -> Payment:
    payment = _payment(amount, "wechatpay")
    services.start_payment(payment, return_url="http://shop.test/", notify_url="http://shop.test/n/")
    assert services.handle_notification("wechatpay", *wx.pay(payment.out_trade_no))[0] == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def _wx_day(wx, merchant):
    """A day at the provider: three payments, a refund and a payout; one payment shown with another
    amount, one left off the bill, and one on the bill that we never had."""
    matched, differs, dropped = _wx_paid(wx, 10000), _wx_paid(wx, 20000), _wx_paid(wx, 30000)
    refund = services.refund_payment(
        payment=matched, amount=3000, reason="缺货", purpose="recontest", reference="r1"
    )
    services.handle_notification("wechatpay", *wx.refund_notifications(refund.out_refund_no))
    refund.refresh_from_db()
    payee = UserFactory()
    WechatIdentity.objects.create(user=payee, appid=merchant.appid, openid="oRecon0001")
    transfer = services.create_transfer(
        payee=payee,
        amount=5000,
        purpose="recontest",
        reference="t1",
        description="佣金提现",
        gateway="wechatpay",
    )
    assert refund.status == RefundStatus.SUCCEEDED and transfer.status == TransferStatus.SUCCEEDED
    wx.bill_injections = BillInjections(
        extra_payments=[{"out_trade_no": "PNOTOURS000000000001", "amount": 777}],
        dropped={dropped.out_trade_no},
        amounts={differs.out_trade_no: 20100},
    )
    return matched, differs, dropped


def test_one_break_of_each_kind_is_found_exactly_and_resolved(wx, noon):
    merchant = _merchant(wx)
    matched, differs, dropped = _wx_day(wx, merchant)
    clock.advance(timedelta(days=1))
    seen = []
    run = reconcile("wechatpay", noon, progress=lambda done, total: seen.append((done, total)))
    found = {(b.kind, b.record, b.out_no, b.ours, b.theirs) for b in run.breaks.all()}
    assert found == {
        ("amount_differs", "payment", differs.out_trade_no, 20000, 20100),
        ("missing_theirs", "payment", dropped.out_trade_no, 30000, None),
        ("missing_ours", "payment", "PNOTOURS000000000001", None, 777),
    }
    # matched: one payment, the refund and the payout
    assert (run.matched, run.our_records, run.break_count, run.bill_lines) == (3, 5, 3, 5)
    assert seen[-1] == (5, 5) and len(run.trade_bill_sha1) == 40

    differs_break = run.breaks.get(kind="amount_differs")
    resolve_break(
        break_id=differs_break.pk, user=UserFactory(is_staff=True), note="渠道多记 1 元", adjust=True
    )
    entry = JournalEntry.objects.get(kind="reconciliation_adjustment")
    assert sorted(line.amount for line in entry.lines.all()) == [-100, 100]
    assert ledger_selectors.balance(AccountCode.RECONCILIATION_DIFF) == -100
    differs_break.refresh_from_db()
    assert differs_break.resolved and differs_break.adjustment == 100

    # The provider lacks a payment we recorded: writing it off would take cash the ledger does
    # not hold here (gateway_cash never goes below zero): refused, nothing written.
    missing = run.breaks.get(kind="missing_theirs")
    with pytest.raises(ValidationError, match="would become"):
        resolve_break(break_id=missing.pk, user=UserFactory(is_staff=True), note="write off", adjust=True)
    missing.refresh_from_db()
    assert not missing.resolved and JournalEntry.objects.count() == 1
    resolve_break(break_id=missing.pk, user=UserFactory(is_staff=True), note="渠道次日补单")
    with pytest.raises(ValidationError, match="already resolved"):
        resolve_break(break_id=missing.pk, user=UserFactory(is_staff=True), note="again")
    assert AuditRecord.objects.filter(action="payments.reconciliation_break_resolved").count() == 2


def test_a_day_already_reconciled_is_refused_and_nothing_written(wx, noon):
    _merchant(wx)
    _wx_paid(wx, 10000)
    clock.advance(timedelta(days=1))
    run = reconcile("wechatpay", noon)
    assert (run.matched, run.break_count) == (1, 0)
    with pytest.raises(ReconciliationError, match="already reconciled"):
        reconcile("wechatpay", noon)
    assert ReconciliationRun.objects.count() == 1


def test_a_day_not_over_is_refused(wx, noon):
    _merchant(wx)
    with pytest.raises(ReconciliationError, match="not final"):
        reconcile("wechatpay", noon)
    assert not ReconciliationRun.objects.exists()


def test_a_tampered_bill_is_refused_and_nothing_written(wx, noon):
    _merchant(wx)
    _wx_paid(wx, 10000)
    wx.bill_injections = BillInjections(tamper=True)
    clock.advance(timedelta(days=1))
    with pytest.raises(ReconciliationError, match="does not match the hash WeChat Pay signed"):
        reconcile("wechatpay", noon)
    assert not ReconciliationRun.objects.exists() and not ReconciliationBreak.objects.exists()


def test_a_bill_answer_with_a_bad_signature_is_refused(wx, noon):
    _merchant(wx)
    _wx_paid(wx, 10000)
    clock.advance(timedelta(days=1))
    old = wx.rotate_certificate()  # the provider now signs with a key the merchant does not trust
    try:
        with pytest.raises(ReconciliationError, match="could not be downloaded"):
            reconcile("wechatpay", noon)
    finally:
        wx.restore(old)
    assert not ReconciliationRun.objects.exists()


def test_bill_format_is_wechat_pays_and_a_bill_that_does_not_add_up_is_refused():
    data = bills.write_trade_bill(
        mchid="1900000109",
        appid="wx1",
        payments=[
            {"at": "2026-12-01 10:00:00", "transaction_id": "42001", "out_trade_no": "P1", "amount": 12345}
        ],
        refunds=[
            {
                "at": "2026-12-01 11:00:00",
                "transaction_id": "42001",
                "out_trade_no": "P1",
                "refund_id": "5030",
                "out_refund_no": "R1",
                "amount": 45,
            }
        ],
    )
    text = data.decode()
    lines = text.splitlines()
    assert lines[0] == ",".join(bills.TRADE_HEADER) and lines[0].startswith("交易时间,公众账号ID,商户号")
    assert lines[1].startswith("`2026-12-01 10:00:00,`wx1,`1900000109,") and "`123.45" in lines[1]
    assert (
        lines[3]
        == "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    )
    assert lines[4].startswith("`2,`123.45,`0.45,")
    assert list(bills.parse_trade_bill(bills.gunzipped(bills.gzipped(data)))) == [
        bills.BillLine("payment", "P1", 12345, "42001", "2026-12-01 10:00:00"),
        bills.BillLine("refund", "R1", 45, "5030", "2026-12-01 11:00:00"),
    ]
    with pytest.raises(bills.BillError, match="do not add up"):
        list(bills.parse_trade_bill(data.replace(b"`2,`123.45", b"`2,`123.46")))
    with pytest.raises(bills.BillError, match="header"):
        list(bills.parse_trade_bill(b"a,b\r\n"))
    with pytest.raises(bills.BillError, match="gzip"):
        bills.gunzipped(data)
    flow = bills.write_fundflow_bill(
        movements=[
            {"at": "2026-12-01 12:00:00", "provider_no": "1040", "flow_no": "F1", "kind": "transfer"}
            | {"amount": 500, "out_no": "T1"}
        ]
    ).decode()
    assert flow.splitlines()[0].startswith(
        "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型"
    )
    assert flow.splitlines()[-1] == "`1,`0,`0.00,`1,`5.00"


def _sandbox_paid(amount: int) -> Payment:
    payment = _payment(amount, "sandbox")
    pay_in_sandbox(payment)
    payment.refresh_from_db()
    return payment


def test_sandbox_bills_match_payments_refunds_and_payouts(noon):
    paid = _sandbox_paid(10000)
    refund = services.refund_payment(
        payment=paid, amount=2500, reason="退货", purpose="recontest", reference="r"
    )
    transfer = services.create_transfer(
        payee=UserFactory(),
        amount=4000,
        purpose="recontest",
        reference="t",
        description="payout",
        gateway="sandbox",
    )
    assert refund.status == RefundStatus.SUCCEEDED and transfer.status == TransferStatus.SUCCEEDED
    # Recorded as paid with us, never at the provider.
    orphan = _payment(600, "sandbox")
    Payment.objects.filter(pk=orphan.pk).update(status=PaymentStatus.SUCCEEDED, paid_at=clock.now())
    clock.advance(timedelta(days=1))
    run = reconcile("sandbox", noon)
    assert (run.matched, run.break_count) == (3, 1)
    assert run.breaks.get().kind == "missing_theirs" and run.breaks.get().out_no == orphan.out_trade_no


def test_the_timer_reconciles_each_closed_day_once(noon):
    _sandbox_paid(10000)
    clock.advance(timedelta(days=1))
    assert [r.bill_date for r in reconcile_due()] == [noon]
    assert reconcile_due() == [] and ReconciliationRun.objects.get().matched == 1


def test_the_command_reports_progress_and_refuses_bad_input(noon):
    _sandbox_paid(10000)
    clock.advance(timedelta(days=1))
    out = StringIO()
    call_command("reconcile_bills", "--date", noon.isoformat(), stdout=out)
    assert "1 / 1 our records" in out.getvalue() and "1 matched, 0 breaks" in out.getvalue()
    with pytest.raises(CommandError, match="already reconciled"):
        call_command("reconcile_bills", "--date", noon.isoformat(), stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reconcile_bills", "--date", "yesterday", stdout=StringIO())


def test_only_platform_staff_resolve_and_a_note_is_required(noon):
    orphan = _payment(600, "sandbox")
    Payment.objects.filter(pk=orphan.pk).update(status=PaymentStatus.SUCCEEDED, paid_at=clock.now())
    clock.advance(timedelta(days=1))
    brk = reconcile("sandbox", noon).breaks.get()
    with pytest.raises(PermissionDenied):
        resolve_break(break_id=brk.pk, user=UserFactory(), note="x")
    with pytest.raises(ValidationError, match="note is required"):
        resolve_break(break_id=brk.pk, user=UserFactory(is_staff=True), note="  ")
    brk.refresh_from_db()
    assert not brk.resolved and not JournalEntry.objects.exists()


def test_day_bounds_are_china_midnights(noon):
    from fenxiao.payments.gateways.sandbox import day_bounds

    start, end = day_bounds(noon)
    assert start == datetime(noon.year, noon.month, noon.day, tzinfo=CHINA) and end - start == timedelta(
        days=1
    )


def test_refund_and_payout_lines_are_matched_too(wx, noon):
    merchant = _merchant(wx)
    paid = _wx_paid(wx, 10000)
    refund = services.refund_payment(
        payment=paid, amount=4000, reason="退货", purpose="recontest", reference="r2"
    )
    services.handle_notification("wechatpay", *wx.refund_notifications(refund.out_refund_no))
    WechatIdentity.objects.create(user=(payee := UserFactory()), appid=merchant.appid, openid="oRecon0002")
    transfer = services.create_transfer(
        payee=payee,
        amount=6000,
        purpose="recontest",
        reference="t2",
        description="佣金提现",
        gateway="wechatpay",
    )
    wx.bill_injections = BillInjections(dropped={refund.out_refund_no}, amounts={transfer.out_batch_no: 6001})
    clock.advance(timedelta(days=1))
    run = reconcile("wechatpay", noon)
    found = {(b.kind, b.record, b.ours, b.theirs, b.cash_difference) for b in run.breaks.all()}
    # the provider did not pay the refund out (it holds 4000 more); it paid 1 fen more out
    assert found == {
        ("missing_theirs", "refund", 4000, None, 4000),
        ("amount_differs", "transfer", 6000, 6001, -1),
    }
    assert run.matched == 1
