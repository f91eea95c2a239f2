"""The sandbox gateway: a provider that runs inside fenxiao but behaves like a remote one.

It keeps its own record of each payment (``SandboxTransaction``), shows a cashier page, and
posts notifications over real HTTP, shaped like WeChat Pay v3's: a JSON body whose ``resource``
is AES-256-GCM encrypted with the APIv3-style key, signed with the provider's RSA key over
``timestamp\\nnonce\\nbody\\n`` and sent with ``Wechatpay-Timestamp / -Nonce / -Signature /
-Serial`` headers.  The merchant side (:meth:`SandboxGateway.parse_notification`) verifies all
of it before anything is believed.

It keeps its refunds and payouts too (``SandboxMovement``) and serves its daily trade and
fund-flow bills in WeChat Pay's format (:meth:`SandboxGateway.bill`).

Test hooks: a refund whose reason, or a payout whose description, contains ``sandbox-fail`` is
refused by the provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from fenxiao.core import clock

from .. import bills
from ..models import SandboxKeyPair, SandboxMovement, SandboxTransaction
from .base import (
    DailyBills,
    GatewayError,
    GatewayNotification,
    GatewayPaymentState,
    GatewayRefundResult,
    InvalidNotification,
    PaymentAction,
    PaymentGateway,
)

TIMESTAMP_TOLERANCE = timedelta(minutes=5)


def api_v3_key() -> bytes:
    key = getattr(settings, "SANDBOX_API_V3_KEY", "fenxiao-sandbox-apiv3-key-32byte")
    raw = key.encode()
    if len(raw) != 32:
        raise GatewayError("SANDBOX_API_V3_KEY must be 32 bytes")
    return raw


def provider_key() -> SandboxKeyPair:
    """The provider's key pair, made once and shared by every process through the database."""
    pair = SandboxKeyPair.objects.order_by("id").first()
    if pair:
        return pair
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    try:
        with transaction.atomic():
            return SandboxKeyPair.objects.create(
                serial=secrets.token_hex(20).upper(), private_pem=private_pem, public_pem=public_pem
            )
    except IntegrityError:
        return SandboxKeyPair.objects.order_by("id").first()


def sign(message: bytes, private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_notification(
    event_type: str, resource: dict, *, key: SandboxKeyPair | None = None, timestamp: int | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a notification exactly as the sandbox provider sends it."""
    key = key or provider_key()
    nonce = secrets.token_hex(16)
    associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    cipher = AESGCM(api_v3_key()).encrypt(
        nonce[:12].encode(), json.dumps(resource).encode(), associated.encode()
    )
    body = json.dumps(
        {
            "id": secrets.token_hex(18),
            "create_time": clock.now().isoformat(timespec="seconds"),
            "event_type": event_type,
            "resource_type": "encrypt-resource",
            "summary": "sandbox notification",
            "resource": {
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(cipher).decode(),
                "nonce": nonce[:12],
                "associated_data": associated,
                "original_type": associated,
            },
        }
    ).encode()
    ts = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
    headers = {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": key.serial,
        "Wechatpay-Signature": sign(f"{ts}\n{nonce}\n".encode() + body + b"\n", key.private_pem),
        "Content-Type": "application/json",
    }
    return headers, body


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise InvalidNotification(f"missing header {name}")


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def start(
        self,
        payment,
        *,
        return_url: str,
        notify_url: str,
        client_ip: str = "",
        scene: str = "redirect",
        openid: str = "",
    ) -> PaymentAction:
        provider_key()  # the provider's key exists (committed) before any notification is signed with it
        txn, _ = SandboxTransaction.objects.get_or_create(
            out_trade_no=payment.out_trade_no,
            defaults={
                "token": secrets.token_urlsafe(24),
                "merchant": "fenxiao",
                "description": payment.description,
                "amount": payment.amount,
                "notify_url": notify_url,
                "return_url": return_url,
            },
        )
        return PaymentAction(redirect_url=reverse("payments:sandbox_cashier", args=[txn.token]))

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> GatewayNotification:
        serial = _header(headers, "Wechatpay-Serial")
        pair = SandboxKeyPair.objects.filter(serial=serial).first()
        if pair is None:
            raise InvalidNotification("unknown certificate serial")
        try:
            ts = int(_header(headers, "Wechatpay-Timestamp"))
        except ValueError as exc:
            raise InvalidNotification("bad timestamp") from exc
        if abs(clock.now().timestamp() - ts) > TIMESTAMP_TOLERANCE.total_seconds():
            raise InvalidNotification("timestamp outside 5 minutes")
        nonce = _header(headers, "Wechatpay-Nonce")
        signature = _header(headers, "Wechatpay-Signature")
        public = serialization.load_pem_public_key(pair.public_pem.encode())
        try:
            public.verify(
                base64.b64decode(signature),
                f"{ts}\n{nonce}\n".encode() + body + b"\n",
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError) as exc:
            raise InvalidNotification("bad signature") from exc
        try:
            data = json.loads(body)
            resource = data["resource"]
            plain = AESGCM(api_v3_key()).decrypt(
                resource["nonce"].encode(),
                base64.b64decode(resource["ciphertext"]),
                resource.get("associated_data", "").encode(),
            )
            return GatewayNotification(
                notification_id=data["id"], event_type=data["event_type"], resource=json.loads(plain)
            )
        except (KeyError, ValueError, InvalidTag, TypeError) as exc:
            raise InvalidNotification("malformed or undecryptable body") from exc

    def query(self, payment) -> GatewayPaymentState:
        txn = SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).first()
        if txn is None:
            return GatewayPaymentState(payment.out_trade_no, "NOTPAY", payment.amount)
        return GatewayPaymentState(
            txn.out_trade_no, txn.state, txn.amount, txn.transaction_id, txn.success_time
        )

    def close(self, payment) -> None:
        SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no, state="NOTPAY").update(
            state="CLOSED"
        )

    def transfer(self, transfer) -> GatewayRefundResult:
        if "sandbox-fail" in transfer.description:
            return GatewayRefundResult(False, failure_reason="sandbox refused the payout (test hook)")
        provider_no = "ST" + secrets.token_hex(10).upper()
        movement, _ = SandboxMovement.objects.get_or_create(
            out_no=transfer.out_batch_no,
            defaults={
                "kind": "transfer",
                "provider_no": provider_no,
                "amount": transfer.amount,
                "at": clock.now(),
            },
        )
        return GatewayRefundResult(True, provider_refund_id=movement.provider_no)

    def refund(self, refund) -> GatewayRefundResult:
        txn = (
            SandboxTransaction.objects.select_for_update()
            .filter(out_trade_no=refund.payment.out_trade_no)
            .first()
        )
        if txn is None or txn.state != "SUCCESS":
            return GatewayRefundResult(False, failure_reason="the provider has no paid transaction to refund")
        if "sandbox-fail" in refund.reason:
            return GatewayRefundResult(False, failure_reason="sandbox refused the refund (test hook)")
        if txn.refunded + refund.amount > txn.amount:
            return GatewayRefundResult(False, failure_reason="refund exceeds the amount paid")
        SandboxTransaction.objects.filter(pk=txn.pk).update(refunded=txn.refunded + refund.amount)
        provider_no = "SR" + secrets.token_hex(10).upper()
        movement, _ = SandboxMovement.objects.get_or_create(
            out_no=refund.out_refund_no,
            defaults={
                "kind": "refund",
                "provider_no": provider_no,
                "out_trade_no": txn.out_trade_no,
                "amount": refund.amount,
                "at": clock.now(),
            },
        )
        return GatewayRefundResult(True, provider_refund_id=movement.provider_no)

    def bill(self, day: date) -> DailyBills:
        """The sandbox provider's bills of ``day``, from its own records, in WeChat Pay's format
        (gzip; the same SHA1 check and parser as a downloaded WeChat Pay bill)."""
        start, end = day_bounds(day)
        trade, flow = sandbox_bills(start, end)
        lines = []
        for data, parse in ((trade, bills.parse_trade_bill), (flow, bills.parse_fundflow_bill)):
            lines.extend(parse(bills.gunzipped(data)))
        return DailyBills(
            lines=lines,
            trade_sha1=hashlib.sha1(trade).hexdigest(),
            fundflow_sha1=hashlib.sha1(flow).hexdigest(),
        )


CHINA = ZoneInfo("Asia/Shanghai")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A bill's day: midnight to midnight, China time."""
    start = datetime.combine(day, day_time.min, tzinfo=CHINA)
    return start, start + timedelta(days=1)


def _at(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def sandbox_bills(start: datetime, end: datetime) -> tuple[bytes, bytes]:
    """(trade bill, fund-flow bill), gzip-compressed, of the sandbox provider's records in [start, end)."""
    paid = SandboxTransaction.objects.filter(success_time__gte=start, success_time__lt=end).exclude(
        state__in=["NOTPAY", "PAYERROR", "CLOSED"]
    )
    payments = [
        {
            "at": _at(t.success_time),
            "transaction_id": t.transaction_id,
            "out_trade_no": t.out_trade_no,
            "amount": t.amount,
            "description": t.description,
        }
        for t in paid.order_by("success_time", "id").iterator(chunk_size=5000)
    ]
    moved = list(SandboxMovement.objects.filter(at__gte=start, at__lt=end).order_by("at", "id"))
    refunds = [
        {
            "at": _at(m.at),
            "transaction_id": "",
            "out_trade_no": m.out_trade_no,
            "refund_id": m.provider_no,
            "out_refund_no": m.out_no,
            "amount": m.amount,
        }
        for m in moved
        if m.kind == "refund"
    ]
    trade = bills.write_trade_bill(mchid="1900000001", appid="wxsandbox", payments=payments, refunds=refunds)
    flow = [
        {"at": p["at"], "provider_no": p["transaction_id"], "flow_no": "", "kind": "payment"}
        | {"amount": p["amount"], "out_no": p["out_trade_no"]}
        for p in payments
    ] + [
        {"at": _at(m.at), "provider_no": m.provider_no, "flow_no": "", "kind": m.kind}
        | {"amount": m.amount, "out_no": m.out_no}
        for m in moved
    ]
    flow.sort(key=lambda m: m["at"])
    return bills.gzipped(trade), bills.gzipped(bills.write_fundflow_bill(movements=flow))


def provider_pay(txn: SandboxTransaction, *, succeed: bool = True, notify: bool = True) -> SandboxTransaction:
    """The consumer confirmed on the cashier page: the provider records it and queues the notification."""
    from fenxiao.core.jobs import enqueue

    with transaction.atomic():
        txn = SandboxTransaction.objects.select_for_update().get(pk=txn.pk)
        if txn.state != "NOTPAY":
            return txn
        txn.state = "SUCCESS" if succeed else "PAYERROR"
        txn.transaction_id = "4200" + str(int(time.time())) + secrets.token_hex(5)
        txn.success_time = clock.now()
        txn.save()
        if succeed and notify:
            enqueue("payments.sandbox_notify", {"txn": txn.pk})
    return txn


def transaction_resource(txn: SandboxTransaction) -> dict:
    return {
        "mchid": "1900000001",
        "appid": "wxsandbox",
        "out_trade_no": txn.out_trade_no,
        "transaction_id": txn.transaction_id,
        "trade_type": "NATIVE",
        "trade_state": txn.state,
        "trade_state_desc": "sandbox",
        "success_time": txn.success_time.isoformat(timespec="seconds") if txn.success_time else None,
        "amount": {
            "total": txn.amount,
            "payer_total": txn.amount,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }


def pay_in_sandbox(
    payment, *, notify_url: str = "http://127.0.0.1/payments/notify/sandbox/", deliveries: int = 1
) -> list[int]:
    """Demo data and tests: the consumer pays at the sandbox cashier and the provider's signed
    notification is handed to the notification handler (as the HTTP endpoint would), ``deliveries`` times."""
    from fenxiao.payments import services

    SandboxGateway().start(payment, return_url="/", notify_url=notify_url)
    txn = provider_pay(SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no), notify=False)
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    return [services.handle_notification("sandbox", headers, body)[0] for _ in range(deliveries)]
