"""Brand payout runs: maker–checker, idempotent execution, failures returned to the balance,
minimum, reserve and negative balances carried over; the trial balance stays 0."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.ledger import payouts, selectors, services
from fenxiao.ledger.models import AccountCode, BrandPayout, JournalEntry, PayoutRun, PayoutStatus
from fenxiao.payments.gateways.base import GatewayRefundResult
from fenxiao.payments.models import Transfer

pytestmark = pytest.mark.django_db


def owed(brand, amount: int) -> None:
    """The brand is owed ``amount`` from a settled order (no commission, no fee)."""
    n = JournalEntry.objects.count()
    services.record_payment_received(payment_reference=f"p{n}", amount=amount, idempotency_key=f"p{n}")
    services.record_order_settlement(
        order_reference=f"order:{n}",
        brand=brand,
        goods_amount=amount,
        shipping_amount=0,
        platform_fee=0,
        idempotency_key=f"s{n}",
    )


def payable(brand) -> int:
    return -selectors.balance(AccountCode.BRAND_PAYABLE, brand_id=brand.pk)


@pytest.fixture
def staff():
    return UserFactory(is_staff=True), UserFactory(is_staff=True)


def test_maker_cannot_approve_and_nothing_is_written(staff):
    maker, _checker = staff
    brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    owed(brand, 50000)
    run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=0)
    with pytest.raises(ValidationError, match="cannot approve it"):
        payouts.approve_run(checker=maker, run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.approved_by) == ("draft", None)
    with pytest.raises(ValidationError, match="not approved"):
        payouts.execute_run(run_id=run.pk)
    assert not Transfer.objects.exists() and payable(brand) == 50000
    with pytest.raises(PermissionDenied):
        payouts.create_run(maker=UserFactory(), minimum=1, reserve_bps=0)


def test_a_run_executed_twice_pays_once(staff):
    maker, checker = staff
    brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    owed(brand, 50000)
    run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=0)
    payouts.approve_run(checker=checker, run_id=run.pk)
    payouts.execute_run(run_id=run.pk)
    payouts.execute_run(run_id=run.pk)
    payouts.send_payout(run.payouts.get().pk)
    payout = run.payouts.get()
    assert payout.status == PayoutStatus.PAID and payout.amount == 50000
    assert Transfer.objects.filter(purpose="brand_payout").count() == 1
    assert JournalEntry.objects.filter(kind="brand_payout").count() == 1
    assert payable(brand) == 0
    assert PayoutRun.objects.get(pk=run.pk).status == "executed"
    assert selectors.trial_balance() == 0 and selectors.balances_match_lines()
    assert ",500.00," in payouts.bank_transfer_file(run)


def test_a_failed_payout_returns_the_money_to_the_balance(staff):
    maker, checker = staff
    brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    owed(brand, 30000)
    run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=0)
    payouts.approve_run(checker=checker, run_id=run.pk)
    refused = GatewayRefundResult(False, failure_reason="bank account closed")
    with mock.patch("fenxiao.payments.gateways.sandbox.SandboxGateway.transfer", return_value=refused):
        payouts.execute_run(run_id=run.pk)
    payout = run.payouts.get()
    assert payout.status == PayoutStatus.FAILED and payout.failure_reason == "bank account closed"
    assert payable(brand) == 30000  # owed again
    assert [e.kind for e in selectors.entries_for(payout.reference)] == [
        "brand_payout",
        "brand_payout_failed",
    ]
    assert selectors.trial_balance() == 0 and selectors.balances_match_lines()


def test_minimum_reserve_and_negative_balances(staff):
    maker, checker = staff
    small, reserved, negative = (BrandStaffFactory(role=BrandRole.OWNER).brand for _ in range(3))
    owed(small, 9999)
    owed(reserved, 50000)
    services.record_payment_received(payment_reference="x", amount=500, idempotency_key="x")
    services.record_brand_payout(brand=negative, amount=1, reference="claw", idempotency_key="claw")
    assert payable(negative) == -1  # the brand owes the platform: carried over, never paid

    def open_amount(brand_id: int) -> int:
        return 20000 if brand_id == reserved.pk else 0

    with mock.patch.object(payouts, "open_amount_of_settled_orders", open_amount):
        run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=5000)
    (payout,) = run.payouts.all()
    assert (payout.brand_id, payout.owed, payout.reserve, payout.amount) == (reserved.pk, 50000, 10000, 40000)
    payouts.approve_run(checker=checker, run_id=run.pk)
    payouts.execute_run(run_id=run.pk)
    assert payable(reserved) == 10000 and payable(small) == 9999 and payable(negative) == -1
    assert selectors.trial_balance() == 0


def test_a_payout_for_more_than_the_balance_is_refused_and_nothing_is_written(staff):
    maker, checker = staff
    brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    owed(brand, 50000)
    run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=0)
    payouts.approve_run(checker=checker, run_id=run.pk)
    services.record_refund(refund_reference="r", brand=brand, amount=20000, settled=True, idempotency_key="r")
    with pytest.raises(ValidationError, match="less than the payout"):
        payouts.send_payout(run.payouts.get().pk)
    payouts.execute_run(run_id=run.pk)  # refused again, noted on the payout
    payout = BrandPayout.objects.get(run=run)
    assert payout.status == PayoutStatus.PLANNED and "less than the payout" in payout.failure_reason
    assert not Transfer.objects.exists() and not JournalEntry.objects.filter(kind="brand_payout").exists()
    assert payable(brand) == 30000 and selectors.trial_balance() == 0


def test_nothing_to_pay_is_refused(staff):
    with pytest.raises(ValidationError, match="nothing to pay"):
        payouts.create_run(maker=staff[0], minimum=10000, reserve_bps=0)
    assert not PayoutRun.objects.exists()


def test_two_platform_staff_make_approve_and_execute_a_run_in_the_pages(client, staff):
    maker, checker = staff
    brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    owed(brand, 50000)
    client.force_login(maker)
    response = client.post("/platform/finance/payouts/", {"minimum": "100.00", "reserve": "0"})
    run = PayoutRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/platform/finance/payouts/{run.pk}/"
    refused = client.post(f"/platform/finance/payouts/{run.pk}/approve/")
    assert refused.status_code == 400 and "cannot approve" in refused.content.decode()
    assert PayoutRun.objects.get().status == "draft"
    client.force_login(checker)
    assert client.post(f"/platform/finance/payouts/{run.pk}/approve/").status_code == 302
    assert client.post(f"/platform/finance/payouts/{run.pk}/execute/").status_code == 302
    assert client.post(f"/platform/finance/payouts/{run.pk}/execute/").status_code == 302  # again: pays once
    assert Transfer.objects.count() == 1 and payable(brand) == 0
    page = client.get(f"/platform/finance/payouts/{run.pk}/")
    assert brand.name in page.content.decode()
    assert ",500.00," in client.get(f"/platform/finance/payouts/{run.pk}/?format=csv").content.decode()
    assert f"#{run.pk}" in client.get("/platform/finance/").content.decode()
    refused = client.post("/platform/finance/payouts/", {"minimum": "x"})
    assert refused.status_code == 400 and "yuan" in refused.content.decode()
    assert client.post("/platform/finance/payouts/", {"reserve": "150"}).status_code == 400
    assert PayoutRun.objects.count() == 1


def test_the_command_executes_an_approved_run_with_progress(staff):
    from io import StringIO

    from django.core.management import CommandError, call_command

    maker, checker = staff
    brands = [BrandStaffFactory(role=BrandRole.OWNER).brand for _ in range(3)]
    for brand in brands:
        owed(brand, 20000)
    run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=0)
    with pytest.raises(CommandError, match="not approved"):
        call_command("execute_payout_run", run.pk, stdout=StringIO())
    payouts.approve_run(checker=checker, run_id=run.pk)
    out = StringIO()
    call_command("execute_payout_run", run.pk, stdout=out)
    assert "3 / 3 payouts" in out.getvalue() and "executed; planned 0, sent 0, paid 3" in out.getvalue()
    assert selectors.trial_balance() == 0


def test_a_brand_payout_is_never_a_wechat_transfer_to_a_person(staff, settings):
    """WeChat Pay's transfers pay a person's wallet: with WeChat Pay as the platform's default
    gateway, a brand payout is still recorded through the bank-transfer (sandbox) path."""
    settings.PAYMENT_GATEWAY = "wechatpay"
    maker, checker = staff
    brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    owed(brand, 50000)
    run = payouts.create_run(maker=maker, minimum=10000, reserve_bps=0)
    payouts.approve_run(checker=checker, run_id=run.pk)
    payouts.execute_run(run_id=run.pk)
    assert Transfer.objects.get(purpose="brand_payout").gateway == "sandbox"
    assert run.payouts.get().status == PayoutStatus.PAID
