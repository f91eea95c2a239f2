"""The WeChat Pay v3 gateway against the local provider (real HTTP, real signatures, real AES-GCM),
in both verification modes (the ``merchant`` fixture is parametrised)."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.core import clock
from fenxiao.payments import purposes, services
from fenxiao.payments.gateways.base import GatewayError
from fenxiao.payments.gateways.wechatpay import WeChatPayGateway, client_for
from fenxiao.payments.models import (
    NotificationLog,
    Payment,
    PaymentStatus,
    RefundStatus,
    TransferStatus,
    WechatIdentity,
)
from fenxiao.payments.wechatpay_local import protocol

pytestmark = pytest.mark.django_db
CALLS: list = []


@pytest.fixture(autouse=True)
def handler():
    CALLS.clear()

    class Handler(purposes.PaymentPurpose):
        purpose = "wxtest"

        def on_succeeded(self, p):
            CALLS.append(("paid", p.pk))

        def on_refund_succeeded(self, r):
            CALLS.append(("refunded", r.amount))

        def on_refund_failed(self, r):
            CALLS.append(("refund_failed", r.amount))

        def on_transfer_succeeded(self, t):
            CALLS.append(("paid_out", t.amount))

        def on_transfer_failed(self, t):
            CALLS.append(("payout_failed", t.amount))

    purposes.register(Handler())
    yield
    purposes.unregister("wxtest")


def _payment(amount=12345, **kwargs) -> Payment:
    return services.create_payment(
        payer=kwargs.pop("payer", None) or UserFactory(),
        amount=amount,
        purpose="wxtest",
        reference="wxtest:1",
        description="测试订单",
        gateway="wechatpay",
        expires_at=clock.now() + timedelta(minutes=30),
        **kwargs,
    )


def _start(payment, scene="native", **kwargs):
    return services.start_payment(
        payment, return_url="http://shop.test/done/", notify_url="http://shop.test/n/", scene=scene, **kwargs
    )


def _notify(headers, body):
    return services.handle_notification("wechatpay", headers, body)


def _paid(wxpay, payment) -> Payment:
    _start(payment)
    assert _notify(*wxpay.pay(payment.out_trade_no))[0] == 204
    payment.refresh_from_db()
    return payment


def test_native_payment_credits_once_across_replays(wxpay, merchant):
    payment = _payment()
    action = _start(payment)
    assert action.qr_text.startswith("weixin://wxpay/bizpayurl?pr=")
    sent = wxpay.state.transactions[payment.out_trade_no]
    assert sent["amount"] == {"total": 12345, "currency": "CNY"} and sent["mchid"] == merchant.mchid
    headers, body = wxpay.pay(payment.out_trade_no)
    assert headers["Wechatpay-Serial"] == (
        merchant.wechatpay_public_key_id
        if merchant.verification_mode == "public_key"
        else wxpay.certificate_serial
    )
    answers = [_notify(headers, body) for _ in range(5)]
    assert answers == [(204, "", "application/json")] * 5
    # A fresh notification (new id) for the same payment is idempotent as well.
    assert _notify(*wxpay.pay(payment.out_trade_no))[0] == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.merchant_id == merchant.pk
    assert payment.provider_transaction_id == wxpay.state.transactions[payment.out_trade_no]["transaction_id"]
    assert [("paid", payment.pk)] == CALLS
    assert NotificationLog.objects.filter(gateway="wechatpay", verified=True).count() == 2


def test_time_expire_is_rfc3339_in_china_time(wxpay, merchant):
    payment = _payment()
    _start(payment)
    client = client_for(merchant)
    code, text = client.query(out_trade_no=payment.out_trade_no)
    assert code == 200 and json.loads(text)["trade_state"] == "NOTPAY"
    from fenxiao.payments.gateways.wechatpay import rfc3339

    assert rfc3339(payment.expires_at).endswith("+08:00")


def test_jsapi_params_are_signed_for_weixinjsbridge(wxpay, merchant):
    payer = UserFactory()
    WechatIdentity.objects.create(user=payer, appid=merchant.appid, openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    payment = _payment(payer=payer)
    params = _start(payment, scene="jsapi").jsapi_params
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"].startswith("prepay_id=wx") and params["signType"] == "RSA"
    assert wxpay.state.transactions[payment.out_trade_no]["payer"]["openid"] == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    with pytest.raises(Exception, match="paySign"):
        wxpay.jsapi_pay(dict(params, paySign=params["paySign"][:-6] + "AAAAA="))
    assert _notify(*wxpay.jsapi_pay(params))[0] == 204  # the bridge verified paySign
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_jsapi_without_openid_is_refused_before_calling_the_provider(wxpay, merchant):
    payment = _payment()
    with pytest.raises(GatewayError, match="openid"):
        _start(payment, scene="jsapi")
    assert payment.out_trade_no not in wxpay.state.transactions


def test_h5_redirects_to_the_provider_then_query_applies(wxpay, merchant):
    payment = _payment()
    action = _start(payment, scene="h5", client_ip="10.1.2.3")
    url = urlparse(action.redirect_url)
    assert action.redirect_url.startswith(wxpay.url + "/h5pay/")
    assert parse_qs(url.query)["redirect_url"] == ["http://shop.test/done/"]
    page = requests.get(action.redirect_url, timeout=5)
    assert "¥123.45" in page.text
    assert services.query_and_apply(payment).status == PaymentStatus.PENDING  # order query: NOTPAY
    requests.post(action.redirect_url, allow_redirects=False, timeout=5)  # the payer confirms
    payment = services.query_and_apply(payment)  # the consumer returns before any notification
    assert payment.status == PaymentStatus.SUCCEEDED and [("paid", payment.pk)] == CALLS


@pytest.mark.parametrize("tamper", ["signature", "body", "expired", "serial", "apiv3_key", "headers"])
def test_bad_notifications_are_refused_as_wechat_expects(wxpay, merchant, tamper):
    payment = _payment()
    _start(payment)
    headers, body = wxpay.pay(payment.out_trade_no)
    registered = wxpay.merchants[merchant.mchid]
    if tamper == "signature":
        headers["Wechatpay-Signature"] = headers["Wechatpay-Signature"][:-8] + "AAAAAAA="
    elif tamper == "body":
        body = body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESZ"')
    elif tamper == "expired":
        stale = int((clock.now() - timedelta(minutes=6)).timestamp())
        headers, body = wxpay.notification(
            registered, "TRANSACTION.SUCCESS", json.loads(_resource(wxpay, payment)), timestamp=stale
        )
    elif tamper == "serial":
        headers["Wechatpay-Serial"] = (
            "PUB_KEY_ID_UNKNOWN" if merchant.verification_mode == "public_key" else "7A3F"
        )
    elif tamper == "apiv3_key":
        original = registered.apiv3_key
        registered.apiv3_key = "0" * 32
        headers, body = wxpay.pay(payment.out_trade_no)
        registered.apiv3_key = original
    elif tamper == "headers":
        del headers["Wechatpay-Nonce"]
    status, answer, content_type = _notify(headers, body)
    assert status == 400 and content_type == "application/json"
    assert json.loads(answer)["code"] == "FAIL" and json.loads(answer)["message"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and CALLS == []
    assert NotificationLog.objects.filter(verified=False, gateway="wechatpay").count() == 1


def _resource(wxpay, payment) -> str:
    return protocol.dumps(wxpay._public_transaction(wxpay.state.transactions[payment.out_trade_no]))


def test_close_then_the_provider_refuses_to_pay_it(wxpay, merchant):
    payment = _payment()
    _start(payment)
    assert services.close_payment(payment).status == PaymentStatus.CLOSED
    assert wxpay.state.transactions[payment.out_trade_no]["trade_state"] == "CLOSED"
    fresh = _payment()
    services.close_payment(fresh)  # never ordered at the provider: closing is still fine
    assert Payment.objects.get(pk=fresh.pk).status == PaymentStatus.CLOSED


def test_refund_finishes_on_its_notification_once(wxpay, merchant):
    payment = _paid(wxpay, _payment(10000))
    refund = services.refund_payment(
        payment=payment, amount=3000, reason="缺货", purpose="wxtest", reference="r1"
    )
    assert refund.status == RefundStatus.PENDING and refund.provider_refund_id.startswith("5030")
    headers, body = wxpay.refund_notifications(refund.out_refund_no)
    assert [_notify(headers, body)[0] for _ in range(3)] == [204] * 3
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and payment.refunded_amount == 3000
    assert CALLS[1:] == [("refunded", 3000)]


def test_refund_refused_by_the_provider_fails_at_once(wxpay, merchant):
    payment = _paid(wxpay, _payment(10000))
    # Someone refunded 9000 by hand in the merchant platform: the provider refuses more than 1000.
    client_for(merchant).refund(
        out_refund_no="M" + payment.out_trade_no,
        amount={"refund": 9000, "total": 10000, "currency": "CNY"},
        out_trade_no=payment.out_trade_no,
    )
    refund = services.refund_payment(
        payment=payment, amount=5000, reason="退货", purpose="wxtest", reference="r1"
    )
    assert refund.status == RefundStatus.FAILED and "INVALID_REQUEST" in refund.failure_reason
    assert CALLS[1:] == [("refund_failed", 5000)]


def test_abnormal_refund_notification_fails_the_refund(wxpay, merchant):
    payment = _paid(wxpay, _payment(10000))
    refund = services.refund_payment(
        payment=payment, amount=10000, reason="abnormal card", purpose="wxtest", reference="r"
    )
    assert _notify(*wxpay.refund_notifications(refund.out_refund_no))[0] == 204
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED and "ABNORMAL" in refund.failure_reason
    assert Payment.objects.get(pk=payment.pk).refunded_amount == 0


def test_payout_to_wechat_balance(wxpay, merchant):
    payee = UserFactory()
    WechatIdentity.objects.create(user=payee, appid=merchant.appid, openid="oPayee0001")
    transfer = services.create_transfer(
        payee=payee,
        amount=5000,
        purpose="wxtest",
        reference="w:1",
        description="佣金提现",
        gateway="wechatpay",
    )
    assert transfer.status == TransferStatus.SUCCEEDED and transfer.provider_transfer_id.startswith("1040000")
    detail = wxpay.state.batches[(merchant.mchid, transfer.out_batch_no)][transfer.out_batch_no]
    assert (detail["openid"], detail["transfer_amount"]) == ("oPayee0001", 5000)
    wxpay.frozen_openids.add("oPayee0001")
    failed = services.create_transfer(
        payee=payee,
        amount=100,
        purpose="wxtest",
        reference="w:2",
        description="佣金提现",
        gateway="wechatpay",
    )
    assert failed.status == TransferStatus.FAILED and failed.failure_reason == "ACCOUNT_FROZEN"
    nobody = services.create_transfer(
        payee=UserFactory(),
        amount=100,
        purpose="wxtest",
        reference="w:3",
        description="x",
        gateway="wechatpay",
    )
    assert nobody.status == TransferStatus.FAILED and "openid" in nobody.failure_reason
    assert CALLS == [("paid_out", 5000), ("payout_failed", 100), ("payout_failed", 100)]


def test_the_provider_checks_our_request_signature(wxpay, merchant):
    wxpay.merchants[merchant.mchid].merchant_public_key = protocol.public_pem(protocol.new_key())
    # certificate mode already fails fetching /v3/certificates with the unverifiable request
    with pytest.raises(GatewayError, match="SIGN_ERROR|platform certificate"):
        _start(_payment())


def test_an_answer_not_signed_by_the_provider_is_not_believed(wxpay, merchant):
    client_for(merchant)  # certificates (if any) are fetched while the provider is honest
    honest = wxpay.platform_key
    wxpay.platform_key = protocol.new_key()
    try:
        with pytest.raises(GatewayError, match="verify"):
            _start(_payment())
    finally:
        wxpay.platform_key = honest


def test_gateway_interface_is_complete():
    assert WeChatPayGateway.name == "wechatpay"
    assert not getattr(WeChatPayGateway, "__abstractmethods__", set())


def test_a_rotated_platform_certificate_is_downloaded_once_then_trusted(wxpay, db):
    from fenxiao.payments.wechatpay_local.merchant import connect_merchant

    merchant = connect_merchant(wxpay, mode="certificate")
    payment = _payment()
    _start(payment)
    old = wxpay.rotate_certificate()
    try:
        headers, body = wxpay.pay(payment.out_trade_no)
        assert headers["Wechatpay-Serial"] == wxpay.certificate_serial
        assert _notify(headers, body)[0] == 400  # just downloaded: not again at once
        client_for(merchant).refreshed_at = 0  # a minute later
        assert _notify(headers, body)[0] == 204
    finally:
        wxpay.restore(old)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_lost_refund_notification_is_made_up_for_by_a_query(wxpay, merchant):
    from fenxiao.core.jobs import run_pending

    payment = _paid(wxpay, _payment(10000))
    refund = services.refund_payment(
        payment=payment, amount=4000, reason="退货", purpose="wxtest", reference="r"
    )
    assert refund.status == RefundStatus.PENDING
    run_pending()
    assert Payment.objects.get(pk=payment.pk).refunded_amount == 0  # not asked before five minutes
    clock.advance(timedelta(minutes=6))
    run_pending()
    refund.refresh_from_db()
    assert (
        refund.status == RefundStatus.SUCCEEDED and Payment.objects.get(pk=payment.pk).refunded_amount == 4000
    )
    # The notification arriving after all changes nothing.
    assert _notify(*wxpay.refund_notifications(refund.out_refund_no))[0] == 204
    assert CALLS[1:] == [("refunded", 4000)]


def test_a_notification_about_another_merchants_payment_is_refused(wxpay, db):
    from fenxiao.payments.wechatpay_local.merchant import connect_merchant

    first = connect_merchant(wxpay, mchid="1900000201")
    payment = _payment()
    _start(payment)
    connect_merchant(wxpay, mchid="1900000202")  # a second (now active) merchant of ours
    other = wxpay.merchants["1900000202"]
    resource = dict(json.loads(_resource(wxpay, payment)), mchid=other.mchid, trade_state="SUCCESS")
    status, answer, _ = _notify(*wxpay.notification(other, "TRANSACTION.SUCCESS", resource))
    assert status == 400 and "another merchant" in answer
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING and first.mchid != other.mchid
