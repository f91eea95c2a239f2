"""Distributors' withdrawals paid out to their WeChat balance when WeChat Pay is the platform gateway."""

import pytest

from fenxiao.distribution import withdrawals
from fenxiao.distribution.models import WithdrawalStatus
from fenxiao.distribution.tests.test_withdrawals import earned  # noqa: F401 - the fixture
from fenxiao.ledger import selectors as ledger
from fenxiao.payments import services
from fenxiao.payments.models import TransferStatus, WechatIdentity
from fenxiao.payments.services import PaymentError

pytestmark = pytest.mark.django_db


def test_withdrawal_is_paid_to_the_wechat_balance(earned, wxpay, merchant, settings):  # noqa: F811
    settings.PAYMENT_GATEWAY = "wechatpay"
    member, finance = earned
    services.remember_openid(user=member.distributor, appid=merchant.appid, openid="oDistributor01")
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=8000
    )
    withdrawal = withdrawals.approve_withdrawal(actor=finance, withdrawal_id=withdrawal.pk)
    transfer = withdrawal.transfer
    assert withdrawal.status == WithdrawalStatus.PAID and transfer.gateway == "wechatpay"
    assert transfer.status == TransferStatus.SUCCEEDED and transfer.merchant_id == merchant.pk
    detail = wxpay.state.batches[(merchant.mchid, transfer.out_batch_no)][transfer.out_batch_no]
    assert (detail["openid"], detail["transfer_amount"]) == ("oDistributor01", 8000 - 80)
    assert ledger.trial_balance() == 0


def test_frozen_wechat_account_returns_the_money_to_available(earned, wxpay, merchant, settings):  # noqa: F811
    settings.PAYMENT_GATEWAY = "wechatpay"
    member, finance = earned
    services.remember_openid(user=member.distributor, appid=merchant.appid, openid="oFrozen01")
    wxpay.frozen_openids.add("oFrozen01")
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=8000
    )
    withdrawal = withdrawals.approve_withdrawal(actor=finance, withdrawal_id=withdrawal.pk)
    assert withdrawal.status == WithdrawalStatus.FAILED and "ACCOUNT_FROZEN" in withdrawal.reason
    wallet = ledger.distributor_wallet(brand_id=member.brand_id, user_id=member.distributor_id)
    assert wallet["available"] == 10000 and wallet["withdrawing"] == 0


def test_an_openid_belongs_to_one_person(merchant):
    from fenxiao.accounts.tests.factories import UserFactory

    first, second = UserFactory(), UserFactory()
    services.remember_openid(user=first, appid=merchant.appid, openid="oSame")
    with pytest.raises(PaymentError, match="already linked"):
        services.remember_openid(user=second, appid=merchant.appid, openid="oSame")
    assert WechatIdentity.objects.get(user=first).openid == "oSame"
