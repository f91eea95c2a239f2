"""WeChat Pay API v3 (direct merchant) through the maintained SDK ``wechatpayv3``.

The SDK signs requests, verifies the provider's answers and notifications (platform certificates
or the WeChat Pay public key) and decrypts resources (AES-256-GCM with the APIv3 key).  This module
adds what the SDK leaves to the merchant: a configurable API base URL, the 5-minute timestamp rule
and the known-serial rule for notifications, the JSAPI ``paySign`` parameters, and the mapping of
answers onto the gateway interface.  Credentials come from :class:`MerchantAccount` (encrypted).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core

from fenxiao.core import clock

from .. import bills, secrets_box
from ..models import REAL_NAME_FROM, MerchantAccount, VerificationMode, WechatIdentity
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

log = logging.getLogger("fenxiao.payments.wechatpay")
CHINA = timezone(timedelta(hours=8))
TIMESTAMP_TOLERANCE = timedelta(minutes=5)
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CERTIFICATE_REFRESH_INTERVAL = 60.0  # seconds between re-downloads of platform certificates
HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial")


def rfc3339(moment: datetime) -> str:
    """WeChat Pay wants RFC 3339 with an explicit offset; we send China time (+08:00)."""
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


class _Core(Core):
    """The SDK's core with a configurable base URL (the SDK hard-codes api.mch.weixin.qq.com and
    downloads certificates in ``__init__``, so the URL must be in place before that)."""

    def __init__(self, base_url: str, **kwargs):
        self._base_url = base_url.rstrip("/")
        super().__init__(**kwargs)

    @property
    def _gate_way(self) -> str:
        return self._base_url

    @_gate_way.setter
    def _gate_way(self, value: str) -> None:  # the SDK's default is ignored
        pass


class _Client(WeChatPay):
    def __init__(self, merchant: MerchantAccount):
        public = merchant.verification_mode == VerificationMode.PUBLIC_KEY
        self._type = WeChatPayType.NATIVE
        self._mchid = merchant.mchid
        self._appid = merchant.appid
        self._notify_url = None
        self._partner_mode = False
        self.refreshed_at = time.monotonic()  # certificates were just downloaded (certificate mode)
        self._core = _Core(
            merchant.api_base_url,
            mchid=merchant.mchid,
            cert_serial_no=merchant.cert_serial_no,
            private_key=merchant.private_key,
            apiv3_key=merchant.apiv3_key,
            timeout=(5, 15),
            public_key=merchant.wechatpay_public_key if public else None,
            public_key_id=merchant.wechatpay_public_key_id if public else None,
        )


_clients: dict[tuple, _Client] = {}
_clients_lock = threading.Lock()


def client_for(merchant: MerchantAccount) -> _Client:
    """One SDK client per merchant version (certificate mode downloads certificates once)."""
    key = (merchant.pk, merchant.updated_at, merchant.api_base_url)
    with _clients_lock:
        client = _clients.get(key)
    if client is None:
        if not merchant.secrets_set:
            raise GatewayError("the WeChat Pay merchant's APIv3 key or private key is not set")
        try:
            client = _Client(merchant)
        except Exception as exc:  # the SDK raises bare Exception (bad key, no certificate, network)
            raise GatewayError(f"WeChat Pay client could not start: {exc}") from exc
        with _clients_lock:
            _clients[key] = client
    return client


def active_merchant() -> MerchantAccount:
    merchant = MerchantAccount.objects.filter(active=True).first()
    if merchant is None:
        raise GatewayError("no active WeChat Pay merchant account is configured")
    return merchant


def _call(method, *args, **kwargs) -> tuple[int, dict]:
    try:
        code, text = method(*args, **kwargs)
    except Exception as exc:  # network errors, or the SDK refusing an unverifiable answer
        raise GatewayError(f"WeChat Pay call failed: {exc}") from exc
    try:
        data = json.loads(text) if text else {}
    except (TypeError, ValueError):
        data = {}
    return code, data


def _failure(code: int, data: dict) -> str:
    return f"{data.get('code', code)}: {data.get('message', 'no message')}"


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


class WeChatPayGateway(PaymentGateway):
    name = "wechatpay"

    def _merchant(self, obj) -> MerchantAccount:
        return obj.merchant if getattr(obj, "merchant_id", None) else active_merchant()

    def _bind_merchant(self, payment) -> MerchantAccount:
        """The merchant a payment is made with, recorded on the payment the first time."""
        merchant = self._merchant(payment)
        if payment.merchant_id != merchant.pk:
            type(payment).objects.filter(pk=payment.pk).update(merchant=merchant)
            payment.merchant = merchant
        return merchant

    @staticmethod
    def _pay_type(scene: str) -> WeChatPayType:
        return {"jsapi": WeChatPayType.JSAPI, "h5": WeChatPayType.H5}.get(scene, WeChatPayType.NATIVE)

    def start(
        self,
        payment,
        *,
        return_url: str,
        notify_url: str,
        client_ip: str = "",
        scene: str = "native",
        openid: str = "",
    ) -> PaymentAction:
        merchant = self._bind_merchant(payment)
        client = client_for(merchant)
        kind = self._pay_type(scene)
        params = {
            "description": payment.description[:127] or payment.out_trade_no,
            "out_trade_no": payment.out_trade_no,
            "amount": {"total": payment.amount, "currency": "CNY"},
            "notify_url": merchant.notify_url or notify_url,
            "pay_type": kind,
        }
        if payment.expires_at:
            params["time_expire"] = rfc3339(payment.expires_at)
        if kind == WeChatPayType.JSAPI:
            openid = openid or openid_of(payment.payer, merchant.appid)
            if not openid:
                raise GatewayError("JSAPI needs the payer's openid (sign in with WeChat first)")
            params["payer"] = {"openid": openid}
        if kind == WeChatPayType.H5:
            params["scene_info"] = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
        code, data = _call(client.pay, **params)
        if code != 200:
            raise GatewayError(_failure(code, data))
        if kind == WeChatPayType.JSAPI:
            return PaymentAction(jsapi_params=jsapi_params(client, merchant.appid, data["prepay_id"]))
        if kind == WeChatPayType.H5:
            return PaymentAction(redirect_url=data["h5_url"] + "&redirect_url=" + quote(return_url, safe=""))
        return PaymentAction(qr_text=data["code_url"])

    # -- notifications ------------------------------------------------------------------------
    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> GatewayNotification:
        plain = {name: _header(headers, name) for name in HEADERS}
        if not all(plain.values()):
            raise InvalidNotification("missing Wechatpay-* headers")
        plain["Wechatpay-Signature-Type"] = _header(headers, "Wechatpay-Signature-Type") or SIGNATURE_TYPE
        try:
            ts = int(plain["Wechatpay-Timestamp"])
        except ValueError as exc:
            raise InvalidNotification("bad timestamp") from exc
        if abs(clock.now().timestamp() - ts) > TIMESTAMP_TOLERANCE.total_seconds():
            raise InvalidNotification("timestamp outside 5 minutes")
        client = self._client_for_serial(plain["Wechatpay-Serial"])
        text = body.decode("utf-8", errors="replace")
        try:
            if not client._core._verify_signature(plain, text):
                raise InvalidNotification("bad signature")
            data = client.callback(plain, text)
        except InvalidNotification:
            raise
        except Exception as exc:  # the SDK raises bare Exception for unsupported algorithms
            raise InvalidNotification(f"unverifiable notification: {exc}") from exc
        if not data or not isinstance(data.get("resource"), dict):
            raise InvalidNotification("resource could not be decrypted")
        return GatewayNotification(
            notification_id=str(data.get("id", "")),
            event_type=str(data.get("event_type", "")),
            resource=data["resource"],
        )

    def _client_for_serial(self, serial: str) -> _Client:
        """The merchant whose WeChat Pay key has this serial: the public key id, or a platform
        certificate's serial (certificates are downloaded again once when the serial is new)."""
        merchants = list(MerchantAccount.objects.order_by("-active", "-id"))
        for merchant in merchants:
            if (
                merchant.verification_mode == VerificationMode.PUBLIC_KEY
                and serial == merchant.wechatpay_public_key_id
            ):
                return client_for(merchant)
        for merchant in merchants:
            if merchant.verification_mode != VerificationMode.CERTIFICATE:
                continue
            try:
                client = client_for(merchant)
            except GatewayError:  # a retired account whose provider no longer answers
                continue
            if _has_certificate(client, serial):
                return client
            if time.monotonic() - client.refreshed_at < CERTIFICATE_REFRESH_INTERVAL:
                continue  # unknown serials must not make us hammer the provider
            client.refreshed_at = time.monotonic()
            try:
                client._core._update_certificates()
            except Exception:  # noqa: BLE001 - the provider unreachable: the serial stays unknown
                log.warning("could not refresh WeChat Pay platform certificates for %s", merchant.mchid)
            if _has_certificate(client, serial):
                return client
        raise InvalidNotification("unknown certificate serial")

    # -- queries and changes ------------------------------------------------------------------
    def query(self, payment) -> GatewayPaymentState:
        client = client_for(self._merchant(payment))
        code, data = _call(client.query, out_trade_no=payment.out_trade_no)
        if code == 404:
            return GatewayPaymentState(payment.out_trade_no, "NOTPAY", payment.amount)
        if code != 200:
            raise GatewayError(_failure(code, data))
        paid_at = datetime.fromisoformat(data["success_time"]) if data.get("success_time") else None
        return GatewayPaymentState(
            out_trade_no=data["out_trade_no"],
            state=data["trade_state"],
            amount=int(data["amount"]["total"]),
            transaction_id=data.get("transaction_id", ""),
            paid_at=paid_at,
        )

    def close(self, payment) -> None:
        client = client_for(self._merchant(payment))
        code, data = _call(client.close, out_trade_no=payment.out_trade_no)
        # 404: never ordered at the provider.  ORDERPAID: the success notification follows and is
        # applied like any late payment.
        if code not in (200, 204, 404) and data.get("code") != "ORDERPAID":
            raise GatewayError(_failure(code, data))

    def refund(self, refund) -> GatewayRefundResult:
        merchant = self._merchant(refund.payment)
        client = client_for(merchant)
        code, data = _call(
            client.refund,
            out_refund_no=refund.out_refund_no,
            amount={"refund": refund.amount, "total": refund.payment.amount, "currency": "CNY"},
            out_trade_no=refund.payment.out_trade_no,
            reason=refund.reason[:80] or None,
            notify_url=merchant.notify_url or None,
        )
        if code != 200:
            return GatewayRefundResult(False, failure_reason=_failure(code, data))
        status = data.get("status")
        if status == "SUCCESS":
            return GatewayRefundResult(True, provider_refund_id=data["refund_id"])
        if status == "PROCESSING":
            return GatewayRefundResult(False, provider_refund_id=data["refund_id"], pending=True)
        return GatewayRefundResult(
            False, provider_refund_id=data.get("refund_id", ""), failure_reason=str(status)
        )

    def refund_state(self, refund) -> GatewayRefundResult:
        """Ask about a refund still processing (when its notification is late or lost)."""
        client = client_for(self._merchant(refund.payment))
        code, data = _call(client.query_refund, out_refund_no=refund.out_refund_no)
        if code != 200 or data.get("status") == "PROCESSING":
            return GatewayRefundResult(False, pending=True, failure_reason=_failure(code, data))
        if data.get("status") == "SUCCESS":
            return GatewayRefundResult(True, provider_refund_id=data.get("refund_id", ""))
        return GatewayRefundResult(
            False,
            provider_refund_id=data.get("refund_id", ""),
            failure_reason=f"provider: {data.get('status')}",
        )

    def transfer(self, transfer) -> GatewayRefundResult:
        """Pay a distributor to its WeChat balance (商家转账到零钱, one batch of one detail)."""
        merchant = self._merchant(transfer)
        if transfer.merchant_id != merchant.pk:
            type(transfer).objects.filter(pk=transfer.pk).update(merchant=merchant)
            transfer.merchant = merchant
        openid = openid_of(transfer.payee, merchant.appid)
        if not openid:
            return GatewayRefundResult(
                False, failure_reason="the payee has not signed in with WeChat (no openid)"
            )
        detail = {
            "out_detail_no": transfer.out_batch_no,
            "transfer_amount": transfer.amount,
            "openid": openid,
        }
        if transfer.amount >= REAL_NAME_FROM:
            # From ¥2,000 WeChat Pay requires the payee's real name; the SDK's transfer_batch
            # encrypts ``user_name`` with the platform certificate (RSA-OAEP) and sends its serial
            # in ``Wechatpay-Serial``.
            name = secrets_box.decrypt(transfer.payee_name_encrypted)
            if not name:
                return GatewayRefundResult(
                    False, failure_reason="a transfer of ¥2,000 or more needs the payee's real name"
                )
            detail["user_name"] = name
        client = client_for(merchant)
        remark = (transfer.description or "佣金提现")[:32]
        code, data = _call(
            client.transfer_batch,
            out_batch_no=transfer.out_batch_no,
            batch_name=remark,
            batch_remark=remark,
            total_amount=transfer.amount,
            total_num=1,
            transfer_detail_list=[{**detail, "transfer_remark": remark}],
            transfer_scene_id=merchant.transfer_scene_id or None,
        )
        if code != 200:
            return GatewayRefundResult(False, failure_reason=_failure(code, data))
        return self.transfer_state(transfer)

    def transfer_state(self, transfer) -> GatewayRefundResult:
        client = client_for(self._merchant(transfer))
        code, data = _call(client.transfer_query_out_detail_no, transfer.out_batch_no, transfer.out_batch_no)
        if code != 200:
            return GatewayRefundResult(False, pending=True, failure_reason=_failure(code, data))
        if data.get("detail_status") == "SUCCESS":
            return GatewayRefundResult(True, provider_refund_id=data.get("detail_id", ""))
        if data.get("detail_status") == "FAIL":
            return GatewayRefundResult(False, failure_reason=data.get("fail_reason") or "FAIL")
        return GatewayRefundResult(False, provider_refund_id=data.get("detail_id", ""), pending=True)

    # -- bills --------------------------------------------------------------------------------
    def bill(self, day: date) -> DailyBills:
        """Apply for the day's trade bill (ALL) and fund-flow bill (BASIC), download both (gzip),
        check each file against the SHA1 in the provider's signed answer, and parse them."""
        client = client_for(active_merchant())
        trade, trade_sha1 = _download_bill(client, client.trade_bill, bill_date=day.isoformat())
        flow, flow_sha1 = _download_bill(client, client.fundflow_bill, bill_date=day.isoformat())
        lines = [*bills.parse_trade_bill(trade), *bills.parse_fundflow_bill(flow)]
        return DailyBills(lines=lines, trade_sha1=trade_sha1, fundflow_sha1=flow_sha1)


def _download_bill(client: _Client, apply, **params) -> tuple[bytes, str]:
    code, data = _call(apply, tar_type="GZIP", **params)
    if code != 200 or not data.get("download_url"):
        raise GatewayError(_failure(code, data))
    try:  # the file itself is not signed: the signed answer's hash vouches for it
        status, content = client.download_bill(data["download_url"])
    except Exception as exc:  # noqa: BLE001 - network errors
        raise GatewayError(f"WeChat Pay bill download failed: {exc}") from exc
    if status != 200 or not isinstance(content, bytes):
        raise GatewayError(f"WeChat Pay bill download answered {status}")
    digest = hashlib.sha1(content).hexdigest()
    if str(data.get("hash_type", "")).upper() != "SHA1" or digest != str(data.get("hash_value", "")).lower():
        raise bills.BillError("the downloaded bill does not match the hash WeChat Pay signed (tampered)")
    return bills.gunzipped(content), digest


def _has_certificate(client: _Client, serial: str) -> bool:
    try:
        number = int(serial, 16)
    except ValueError:
        return False
    return any(cert.serial_number == number for cert in client._core._certificates)


def jsapi_params(client: _Client, appid: str, prepay_id: str) -> dict:
    """What the page passes to WeixinJSBridge.invoke('getBrandWCPayRequest', …), RSA-signed."""
    timestamp = str(int(clock.now().timestamp()))
    nonce = secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    return {
        "appId": appid,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": client.sign([appid, timestamp, nonce, package]),
    }


def openid_of(user, appid: str) -> str:
    identity = WechatIdentity.objects.filter(user=user, appid=appid).first()
    return identity.openid if identity else ""
