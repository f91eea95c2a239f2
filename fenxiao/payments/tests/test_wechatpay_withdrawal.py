"""Distributors' withdrawals paid out to their WeChat balance when WeChat Pay is the platform gateway."""

import pytest
from django.core.exceptions import ValidationError

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


@pytest.fixture
def earned_big():
    """¥3,000.00 of available commission (10% of a ¥30,000.00 order), no fee."""
    from fenxiao.accounts.roles import BrandRole
    from fenxiao.accounts.tests.factories import BrandStaffFactory
    from fenxiao.distribution.tests.factories import earned_distributor

    member, sku = earned_distributor(retail_price=3000000, min_withdrawal=100)
    return member, BrandStaffFactory(brand=sku.brand, role=BrandRole.FINANCE)


def test_from_2000_yuan_the_real_name_goes_encrypted_and_the_server_checks_it(
    earned_big, wxpay, merchant, settings
):
    from fenxiao.payments.models import Transfer

    settings.PAYMENT_GATEWAY = "wechatpay"
    member, finance = earned_big
    services.remember_openid(user=member.distributor, appid=merchant.appid, openid="oBig01")
    with pytest.raises(ValidationError, match="real name"):
        withdrawals.request_withdrawal(distributor=member.distributor, brand=member.brand, amount=200000)
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=member.brand, amount=200000, real_name=" 张三 "
    )
    assert "张三" not in withdrawal.payee_name_encrypted  # encrypted at rest
    withdrawal = withdrawals.approve_withdrawal(actor=finance, withdrawal_id=withdrawal.pk)
    transfer = withdrawal.transfer
    assert withdrawal.status == WithdrawalStatus.PAID and transfer.amount == 200000
    assert "张三" not in Transfer.objects.get(pk=transfer.pk).payee_name_encrypted
    detail = wxpay.state.batches[(merchant.mchid, transfer.out_batch_no)][transfer.out_batch_no]
    assert detail["_user_name"] == "张三"  # the server opened it with the platform key
    assert ledger.trial_balance() == 0


def test_the_local_server_refuses_2000_yuan_without_a_name_or_with_one_it_cannot_open(merchant, wxpay):
    from fenxiao.payments.gateways.wechatpay import client_for
    from fenxiao.payments.models import MerchantAccount

    client = client_for(MerchantAccount.objects.get(pk=merchant.pk))

    def send(**name):
        detail = {
            "out_detail_no": "D1234567",
            "transfer_amount": 200000,
            "transfer_remark": "r",
            "openid": "o1",
        }
        return client.transfer_batch(
            out_batch_no="B1234567",
            batch_name="r",
            batch_remark="r",
            total_amount=200000,
            total_num=1,
            transfer_detail_list=[{**detail, **name}],
        )

    wxpay.state.batches.pop((merchant.mchid, "B1234567"), None)
    code, body = send()
    assert code == 400 and "user_name" in body
    # a name the platform key cannot open (sent as is, not encrypted): refused as well
    from unittest import mock

    with mock.patch.object(client._core, "encrypt", lambda text: "bm90IGVuY3J5cHRlZA=="):
        code, body = send(user_name="张三")
    assert code == 400 and "解密失败" in body
    assert (merchant.mchid, "B1234567") not in wxpay.state.batches
    code, _body = send(user_name="张三")  # the SDK encrypts it with the platform certificate
    assert (
        code == 200 and wxpay.state.batches[(merchant.mchid, "B1234567")]["D1234567"]["_user_name"] == "张三"
    )


def test_a_big_transfer_without_a_name_is_not_sent(earned_big, wxpay, merchant, settings):
    settings.PAYMENT_GATEWAY = "wechatpay"
    member, _finance = earned_big
    services.remember_openid(user=member.distributor, appid=merchant.appid, openid="oBig02")
    transfer = services.create_transfer(
        payee=member.distributor, amount=200000, purpose="none", reference="t:big", description="x"
    )
    assert transfer.status == TransferStatus.FAILED and "real name" in transfer.failure_reason
    assert (merchant.mchid, transfer.out_batch_no) not in wxpay.state.batches
