import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.core.tests.concurrency import run_together
from fenxiao.distribution import withdrawals
from fenxiao.distribution.models import Withdrawal, WithdrawalStatus
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import AccountCode
from fenxiao.payments.models import TransferStatus

from .factories import earned_distributor

pytestmark = pytest.mark.django_db


@pytest.fixture
def earned():
    """A distributor with ¥100.00 of available commission (10% of a ¥1000.00 order)."""
    member, sku = earned_distributor(min_withdrawal=5000, withdrawal_fee_bps=100)
    return member, BrandStaffFactory(brand=sku.brand, role=BrandRole.FINANCE)


def _wallet(member):
    return ledger.distributor_wallet(brand_id=member.brand_id, user_id=member.distributor_id)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_cannot_take_the_balance_twice(earned):
    member, _ = earned

    def ask():
        withdrawals.request_withdrawal(distributor=member.distributor, brand=member.brand, amount=10000)

    outcomes = [o if o == "ok" else o.messages[0] for o in run_together(ask, ask)]
    assert sorted(outcomes) == ["You have ¥0.00 available.", "ok"]
    assert Withdrawal.objects.count() == 1 and _wallet(member)["available"] == 0
    assert ledger.trial_balance() == 0


def test_request_rules(earned):
    member, _ = earned
    assert _wallet(member)["available"] == 10000
    with pytest.raises(ValidationError, match="minimum withdrawal is ¥50.00"):
        withdrawals.request_withdrawal(distributor=member.distributor, brand=member.brand, amount=4999)
    with pytest.raises(ValidationError, match="¥100.00 available"):
        withdrawals.request_withdrawal(distributor=member.distributor, brand=member.brand, amount=10001)
    assert Withdrawal.objects.count() == 0


def test_approved_withdrawal_is_paid_out_with_fee(earned):
    member, finance = earned
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=8000
    )
    assert _wallet(member) == {"pending": 0, "available": 2000, "withdrawing": 8000, "withdrawn": 0}
    withdrawal = withdrawals.approve_withdrawal(actor=finance, withdrawal_id=withdrawal.pk)
    assert (
        withdrawal.status == WithdrawalStatus.PAID and withdrawal.transfer.status == TransferStatus.SUCCEEDED
    )
    assert withdrawal.transfer.amount == 8000 - 80
    assert _wallet(member) == {"pending": 0, "available": 2000, "withdrawing": 0, "withdrawn": 8000}
    assert ledger.trial_balance() == 0
    with pytest.raises(ValidationError, match="already decided"):
        withdrawals.approve_withdrawal(actor=finance, withdrawal_id=withdrawal.pk)


def test_rejected_withdrawal_returns_to_available(earned):
    member, finance = earned
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=6000
    )
    with pytest.raises(ValidationError, match="Say why"):
        withdrawals.reject_withdrawal(actor=finance, withdrawal_id=withdrawal.pk, reason=" ")
    withdrawals.reject_withdrawal(actor=finance, withdrawal_id=withdrawal.pk, reason="资料不全")
    assert _wallet(member)["available"] == 10000 and _wallet(member)["withdrawing"] == 0


def test_failed_payout_returns_to_available(earned):
    member, finance = earned
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=6000
    )
    withdrawal = withdrawals.approve_withdrawal(
        actor=finance, withdrawal_id=withdrawal.pk, note="sandbox-fail"
    )
    assert withdrawal.status == WithdrawalStatus.FAILED and "test hook" in withdrawal.reason
    assert _wallet(member)["available"] == 10000 and _wallet(member)["withdrawn"] == 0
    assert ledger.balance(AccountCode.GATEWAY_CASH) >= 0 and ledger.trial_balance() == 0


@pytest.mark.parametrize("role", [BrandRole.OPERATIONS, BrandRole.CUSTOMER_SERVICE])
def test_only_finance_decides(earned, role):
    member, _ = earned
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=6000
    )
    with pytest.raises(PermissionDenied):
        withdrawals.approve_withdrawal(
            actor=BrandStaffFactory(brand=member.brand, role=role), withdrawal_id=withdrawal.pk
        )


def test_other_brand_cannot_touch_the_withdrawal(earned):
    member, _ = earned
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=6000
    )
    with pytest.raises(Withdrawal.DoesNotExist):
        withdrawals.approve_withdrawal(
            actor=BrandStaffFactory(role=BrandRole.FINANCE), withdrawal_id=withdrawal.pk
        )
