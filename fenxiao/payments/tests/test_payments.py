import json
import threading
from datetime import timedelta

import pytest
from django.db import connection

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.core import clock
from fenxiao.core.jobs import run_pending
from fenxiao.payments import purposes, services
from fenxiao.payments.gateways.sandbox import (
    provider_key,
    provider_pay,
    signed_notification,
    transaction_resource,
)
from fenxiao.payments.models import (
    NotificationLog,
    Payment,
    PaymentStatus,
    RefundStatus,
    SandboxKeyPair,
    SandboxTransaction,
)
from fenxiao.payments.services import PaymentError

CALLS: list = []


@pytest.fixture(autouse=True)
def handler():
    CALLS.clear()

    class Handler(purposes.PaymentPurpose):
        purpose = "test"

        def on_succeeded(self, p):
            CALLS.append(("paid", p.pk, p.status))

        def on_refund_succeeded(self, r):
            CALLS.append(("refunded", r.amount))

        def on_refund_failed(self, r):
            CALLS.append(("refund_failed", r.amount))

    purposes.register(Handler())
    yield
    purposes.unregister("test")


def _payment(amount=12345) -> Payment:
    return services.create_payment(
        payer=UserFactory(), amount=amount, purpose="test", reference="test:1", description="测试订单"
    )


def _paid_at_provider(payment: Payment) -> SandboxTransaction:
    services.start_payment(payment, return_url="/done/", notify_url="http://127.0.0.1:1/notify/")
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    return provider_pay(txn)


def _notify(headers, body):
    return services.handle_notification("sandbox", headers, body)


@pytest.mark.django_db
def test_out_trade_no_follows_wechat_rules():
    payment = _payment()
    assert len(payment.out_trade_no) <= 32 and payment.out_trade_no.isalnum()


@pytest.mark.django_db
def test_valid_notification_credits_once_even_when_delivered_ten_times():
    payment = _payment()
    txn = _paid_at_provider(payment)
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    answers = [_notify(headers, body)[0] for _ in range(10)]
    assert answers == [204] * 10
    # Fresh notifications (new ids) for the same payment are applied idempotently as well.
    for _ in range(3):
        assert _notify(*signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn)))[0] == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.provider_transaction_id == txn.transaction_id
    assert [("paid", payment.pk, PaymentStatus.SUCCEEDED)] == CALLS


@pytest.mark.django_db
def test_out_of_order_stale_state_after_success_changes_nothing():
    payment = _payment()
    txn = _paid_at_provider(payment)
    _notify(*signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn)))
    stale = dict(transaction_resource(txn), trade_state="NOTPAY")
    assert _notify(*signed_notification("TRANSACTION.SUCCESS", stale))[0] == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and len(CALLS) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["body", "signature", "serial", "expired", "wrong_key"])
def test_bad_notifications_are_refused_and_logged(tamper):
    payment = _payment()
    txn = _paid_at_provider(payment)
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    if tamper == "body":
        body = body.replace(b'"event_type": "TRANSACTION.SUCCESS"', b'"event_type": "TRANSACTION.SUCCESZ"')
    elif tamper == "signature":
        headers["Wechatpay-Signature"] = headers["Wechatpay-Signature"][:-8] + "AAAAAAA="
    elif tamper == "serial":
        headers["Wechatpay-Serial"] = "UNKNOWN"
    elif tamper == "expired":
        headers, body = signed_notification(
            "TRANSACTION.SUCCESS",
            transaction_resource(txn),
            timestamp=int((clock.now() - timedelta(minutes=6)).timestamp()),
        )
    elif tamper == "wrong_key":
        provider_key()
        other = SandboxKeyPair(serial=provider_key().serial, private_pem=_other_private_pem(), public_pem="")
        headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn), key=other)
    status, answer, _ = _notify(headers, body)
    assert status == 400 and json.loads(answer)["code"] == "FAIL"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and CALLS == []
    assert NotificationLog.objects.filter(verified=False).count() == 1


def _other_private_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.django_db
def test_amount_mismatch_is_refused():
    payment = _payment()
    txn = _paid_at_provider(payment)
    forged = dict(transaction_resource(txn), amount={"total": 1, "currency": "CNY"})
    status, answer, _ = _notify(*signed_notification("TRANSACTION.SUCCESS", forged))
    assert status == 400 and "amount mismatch" in answer
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_success_after_close_is_reported_to_the_domain():
    payment = _payment()
    services.start_payment(payment, return_url="/", notify_url="http://127.0.0.1:1/")
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    txn = provider_pay(txn)  # the consumer paid at the provider …
    services.close_payment(payment)  # … while the merchant closed it
    _notify(*signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn)))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [("paid", payment.pk, PaymentStatus.SUCCEEDED)] == CALLS


@pytest.mark.django_db
def test_query_applies_success_without_notification():
    payment = _payment()
    _paid_at_provider(payment)
    services.query_and_apply(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and len(CALLS) == 1


@pytest.mark.django_db
def test_refunds_partial_total_over_and_failed():
    payment = _payment(10000)
    _paid_at_provider(payment)
    payment = services.query_and_apply(payment)
    first = services.refund_payment(
        payment=payment, amount=3000, reason="部分退款", purpose="test", reference="r1"
    )
    assert first.status == RefundStatus.SUCCEEDED
    assert (
        services.refund_payment(
            payment=payment, amount=3000, reason="again", purpose="test", reference="r1"
        ).pk
        == first.pk
    )
    with pytest.raises(PaymentError, match="more than"):
        services.refund_payment(
            payment=payment, amount=7001, reason="too much", purpose="test", reference="r2"
        )
    failed = services.refund_payment(
        payment=payment, amount=1000, reason="sandbox-fail", purpose="test", reference="r3"
    )
    assert failed.status == RefundStatus.FAILED and "test hook" in failed.failure_reason
    rest = services.refund_payment(
        payment=payment, amount=7000, reason="rest", purpose="test", reference="r4"
    )
    payment.refresh_from_db()
    assert rest.status == RefundStatus.SUCCEEDED and payment.refunded_amount == 10000
    assert CALLS[1:] == [("refunded", 3000), ("refund_failed", 1000), ("refunded", 7000)]


@pytest.mark.django_db
def test_unpaid_payment_cannot_be_refunded():
    with pytest.raises(PaymentError, match="Only a paid payment"):
        services.refund_payment(payment=_payment(), amount=1, reason="x", purpose="test", reference="r")


@pytest.mark.django_db(transaction=True)
def test_full_http_path_through_the_worker(live_server, client):
    """The cashier POST queues the provider's job, which POSTs a signed notification over HTTP to
    the live server's notify endpoint."""
    payment = _payment()
    client.force_login(payment.payer)
    response = client.get(
        f"/payments/pay/{payment.out_trade_no}/", HTTP_HOST=live_server.url.removeprefix("http://")
    )
    cashier = response.url
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    assert txn.notify_url == f"{live_server.url}/payments/notify/sandbox/"
    client.post(cashier, {"outcome": "pay"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # nothing believed until the notification
    assert run_pending() >= 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert NotificationLog.objects.filter(verified=True, outcome="applied success").count() == 1


@pytest.mark.django_db
def test_another_consumer_cannot_open_someone_elses_payment(client):
    payment = _payment()
    client.force_login(UserFactory())
    assert client.get(f"/payments/pay/{payment.out_trade_no}/").status_code == 404
    assert client.get(f"/payments/result/{payment.out_trade_no}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_notifications_credit_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    payment = _payment()
    txn = _paid_at_provider(payment)
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    answers = []

    def post():
        try:
            answers.append(_notify(headers, body)[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [204] * 8
    assert [("paid", payment.pk, PaymentStatus.SUCCEEDED)] == CALLS
