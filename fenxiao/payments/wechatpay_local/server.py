"""The local WeChat Pay v3 provider: a WSGI app served on 127.0.0.1 in a thread.

Test hooks (behaviour a real provider shows for real reasons):
- a refund whose ``reason`` contains ``abnormal`` is accepted, then notified as REFUND.ABNORMAL;
- a transfer to an openid in ``frozen_openids`` fails with ACCOUNT_FROZEN;
- ``auto_notify=False`` keeps notifications until :meth:`LocalWeChatPay.pay` is asked for them;
- ``bill_injections`` (:class:`~.bills.BillInjections`) puts breaks into the daily bills.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

from fenxiao.core import clock

from . import protocol

OUT_TRADE_NO = re.compile(r"^[A-Za-z0-9_\-*|]{6,32}$")
OUT_NO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class LocalMerchant:
    mchid: str
    appid: str
    apiv3_key: str
    merchant_public_key: str  # PEM of the merchant's API key pair: requests are checked with it
    cert_serial_no: str
    mode: str = "public_key"  # or "certificate": which serial the provider signs with


@dataclass
class ProviderError(Exception):
    status: int
    code: str
    message: str


@dataclass
class _State:
    transactions: dict = field(default_factory=dict)
    refunds: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)
    deliveries: list = field(default_factory=list)  # (event_type, notify_url, status)
    # Service-provider mode (``partner``, ``profitsharing``): combined payments, sharing orders
    # and returns, receivers per sub-merchant, and where shared money went.
    combines: dict = field(default_factory=dict)
    sharings: dict = field(default_factory=dict)
    sharing_returns: dict = field(default_factory=dict)
    receivers: dict = field(default_factory=dict)
    sub_balances: dict = field(default_factory=dict)  # sub_mchid -> available (unfrozen) fen
    merchant_received: dict = field(default_factory=dict)  # receiver mchid -> fen received by sharing
    wallets: dict = field(default_factory=dict)  # openid -> fen received by sharing
    bill_files: dict = field(default_factory=dict)  # download token -> (mchid, gzip bytes)


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class LocalWeChatPay:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, auto_notify: bool = True):
        self.platform_key = protocol.new_key()
        self.platform_certificate = protocol.self_signed_certificate(self.platform_key, "Local WeChat Pay")
        self.certificate_serial = protocol.certificate_serial(self.platform_certificate)
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self.public_key_pem = protocol.public_pem(self.platform_key)
        self.merchants: dict[str, LocalMerchant] = {}
        self.sub_merchants: dict[str, str] = {}  # sub_mchid -> the service provider's mchid
        self.frozen_openids: set[str] = set()
        self.auto_notify = auto_notify
        self.state = _State()
        from .bills import BillInjections

        self.bill_injections = BillInjections()
        self.lock = threading.RLock()
        self._httpd = make_server(host, port, self, server_class=_Threading, handler_class=_Quiet)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalWeChatPay:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread (the management command)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def rotate_certificate(self) -> tuple:
        """A new platform key and certificate (WeChat rotates them); returns the old ones for restore()."""
        old = (self.platform_key, self.platform_certificate, self.certificate_serial, self.public_key_pem)
        self.platform_key = protocol.new_key()
        self.platform_certificate = protocol.self_signed_certificate(self.platform_key, "Local WeChat Pay")
        self.certificate_serial = protocol.certificate_serial(self.platform_certificate)
        self.public_key_pem = protocol.public_pem(self.platform_key)
        return old

    def restore(self, old: tuple) -> None:
        self.platform_key, self.platform_certificate, self.certificate_serial, self.public_key_pem = old

    def register_merchant(self, merchant: LocalMerchant) -> None:
        self.merchants[merchant.mchid] = merchant

    def register_sub_merchant(self, sp_mchid: str, sub_mchid: str) -> None:
        """A sub-merchant the service provider ``sp_mchid`` may act for (受理关系)."""
        self.sub_merchants[sub_mchid] = sp_mchid

    def serial_for(self, merchant: LocalMerchant) -> str:
        return self.public_key_id if merchant.mode == "public_key" else self.certificate_serial

    # -- signing ---------------------------------------------------------------------------
    def _signed_headers(self, merchant: LocalMerchant, body: str, *, timestamp: int | None = None) -> dict:
        ts = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
        nonce = secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": self.serial_for(merchant),
            "Wechatpay-Signature": protocol.sign(self.platform_key, f"{ts}\n{nonce}\n{body}\n"),
            "Wechatpay-Signature-Type": protocol.AUTH_SCHEME,
            "Request-ID": secrets.token_hex(16),
        }

    def notification(
        self, merchant: LocalMerchant, event_type: str, resource: dict, *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a notification exactly as WeChat Pay sends it."""
        kind = {"TRANSACTION": "transaction", "PROFITSHARING": "profitsharing"}.get(
            event_type.split(".")[0], "refund"
        )
        summary = {
            "TRANSACTION.SUCCESS": "支付成功",
            "REFUND.SUCCESS": "退款成功",
            "PROFITSHARING.SUCCESS": "分账成功",
        }.get(event_type, "退款异常")
        body = protocol.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": protocol.rfc3339(clock.now()),
                "event_type": event_type,
                "resource_type": "encrypt-resource",
                "summary": summary,
                "resource": dict(
                    protocol.aes_encrypt(merchant.apiv3_key, protocol.dumps(resource), kind),
                    original_type=kind,
                ),
            }
        )
        headers = self._signed_headers(merchant, body, timestamp=timestamp)
        headers["Content-Type"] = "application/json"
        return headers, body.encode()

    def deliver(
        self, notify_url: str, headers: dict, body: bytes, *, event_type: str, attempts: int = 5
    ) -> int:
        """POST a notification to the merchant until it answers 2xx (a few tries, as WeChat retries)."""
        status = 0
        for attempt in range(attempts):
            try:
                status = requests.post(notify_url, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException:
                status = 0
            if 200 <= status < 300:
                break
            time.sleep(0.2 * (attempt + 1))
        self.state.deliveries.append((event_type, notify_url, status))
        return status

    # -- what the payer does in WeChat -------------------------------------------------------
    def pay(self, out_trade_no: str, *, deliver: bool | None = None) -> tuple[dict[str, str], bytes]:
        """The payer confirms in WeChat: the transaction succeeds and TRANSACTION.SUCCESS is sent
        (POSTed to notify_url when ``deliver``, default ``auto_notify``).  Returns the notification."""
        if out_trade_no in self.state.combines:
            from .partner import pay_combine

            return pay_combine(self, out_trade_no, deliver=deliver)
        with self.lock:
            txn = self.state.transactions[out_trade_no]
            if txn["trade_state"] == "NOTPAY" and "sp_mchid" in txn:
                from .partner import settle_paid

                settle_paid(self, txn)
            if txn["trade_state"] == "NOTPAY":
                txn.update(
                    trade_state="SUCCESS",
                    trade_state_desc="支付成功",
                    transaction_id="4200" + str(int(time.time())) + secrets.token_hex(6),
                    success_time=protocol.rfc3339(clock.now()),
                    amount=dict(txn["amount"], payer_total=txn["amount"]["total"], payer_currency="CNY"),
                )
            merchant = self.merchants[txn.get("sp_mchid") or txn["mchid"]]
            resource = self._public_transaction(txn)
        headers, body = self.notification(merchant, "TRANSACTION.SUCCESS", resource)
        if deliver if deliver is not None else self.auto_notify:
            self.deliver(txn["_notify_url"], headers, body, event_type="TRANSACTION.SUCCESS")
        return headers, body

    def jsapi_pay(self, params: dict) -> tuple[dict[str, str], bytes]:
        """WeixinJSBridge.invoke('getBrandWCPayRequest', params): the paySign must verify."""
        prepay_id = params["package"].removeprefix("prepay_id=")
        txn = next(t for t in self.state.transactions.values() if t.get("_prepay_id") == prepay_id)
        merchant = self.merchants[txn["mchid"]]
        message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
        if params.get("signType") != "RSA" or not protocol.verify(
            merchant.merchant_public_key, message, params["paySign"]
        ):
            raise ProviderError(400, "SIGN_ERROR", "paySign 验证失败")
        return self.pay(txn["out_trade_no"])

    def refund_notifications(self, out_refund_no: str, *, deliver: bool | None = None):
        """The refund's outcome notification (REFUND.SUCCESS or REFUND.ABNORMAL)."""
        with self.lock:
            refund = self.state.refunds[out_refund_no]
            merchant = self.merchants[refund["_mchid"]]
            event = "REFUND.SUCCESS" if refund["status"] == "SUCCESS" else "REFUND.ABNORMAL"
            resource = {
                "mchid": merchant.mchid,
                "out_trade_no": refund["out_trade_no"],
                "transaction_id": refund["transaction_id"],
                "out_refund_no": out_refund_no,
                "refund_id": refund["refund_id"],
                "refund_status": refund["status"],
                "success_time": refund.get("success_time"),
                "user_received_account": refund["user_received_account"],
                "amount": {
                    k: refund["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")
                },
            }
        headers, body = self.notification(merchant, event, resource)
        if refund.get("_notify_url") and (deliver if deliver is not None else self.auto_notify):
            self.deliver(refund["_notify_url"], headers, body, event_type=event)
        return headers, body

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode() if length else ""
        if not path.startswith("/v3/"):
            return self._pages(method, path, query, raw, start_response)
        merchant = None
        try:
            merchant = self._authenticate(environ, method, path + (f"?{query}" if query else ""), raw)
            if method == "GET" and path == "/v3/billdownload/file":  # the bill itself: gzip, unsigned
                from .bills import download

                with self.lock:
                    data = download(self, merchant, parse_qs(query))
                start_response("200 OK", [("Content-Type", "application/octet-stream")])
                return [data]
            status, payload = self._route(
                merchant, method, path, parse_qs(query), json.loads(raw) if raw else {}
            )
        except ProviderError as exc:
            status, payload = exc.status, {"code": exc.code, "message": exc.message}
        except (ValueError, KeyError, TypeError) as exc:
            status, payload = 400, {"code": "PARAM_ERROR", "message": f"参数错误: {exc}"}
        body = "" if status == 204 else protocol.dumps(payload)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if merchant is not None:
            headers.update(self._signed_headers(merchant, body))
        start_response(f"{status} {'OK' if status < 300 else 'ERROR'}", list(headers.items()))
        return [body.encode()]

    def _authenticate(self, environ, method: str, url: str, body: str) -> LocalMerchant:
        params = protocol.parse_authorization(environ.get("HTTP_AUTHORIZATION", ""))
        merchant = self.merchants.get(params.get("mchid", ""))
        if merchant is None or params.get("serial_no") != merchant.cert_serial_no:
            raise ProviderError(401, "SIGN_ERROR", "商户号或证书序列号错误")
        try:
            skew = abs(time.time() - int(params.get("timestamp", "")))
        except ValueError as exc:
            raise ProviderError(401, "SIGN_ERROR", "时间戳错误") from exc
        if skew > 300:
            raise ProviderError(401, "SIGN_ERROR", "请求时间戳已过期")
        message = f"{method}\n{url}\n{params['timestamp']}\n{params.get('nonce_str', '')}\n{body}\n"
        if not protocol.verify(merchant.merchant_public_key, message, params.get("signature", "")):
            raise ProviderError(401, "SIGN_ERROR", "签名错误")
        return merchant

    def _route(self, merchant: LocalMerchant, method: str, path: str, query: dict, data: dict):
        from . import partner, profitsharing, routes

        with self.lock:
            for module in (partner, profitsharing):
                answer = module.route(self, merchant, method, path, query, data)
                if answer is not None:
                    return answer
        return routes.route(self, merchant, method, path, query, data)

    def _public_transaction(self, txn: dict) -> dict:
        return {k: v for k, v in txn.items() if not k.startswith("_")}

    def _pages(self, method, path, query, raw, start_response):
        """The payer's side: the H5 cashier (h5_url) and the Native 'scan' page (code_url)."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        txn = None
        key, value = {"/h5pay/": ("_prepay_id", "prepay_id"), "/scan/": ("_code_url", "code_url")}.get(
            path, ("", "")
        )
        if key:
            wanted = params.get(value, "")
            txn = next((t for t in self.state.transactions.values() if t.get(key) == wanted), None)
            combine = next((c for c in self.state.combines.values() if c.get(key) == wanted), None)
            if combine is not None:  # a combined payment: its sub-orders, paid together
                subs = [self.state.transactions[no] for no in combine["_sub_orders"]]
                txn = {
                    "out_trade_no": combine["combine_out_trade_no"],
                    "trade_state": subs[0]["trade_state"],
                    "description": subs[0]["description"],
                    "amount": {"total": sum(t["amount"]["total"] for t in subs)},
                }
        if txn is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return ["未找到订单".encode()]
        if method == "POST" and txn["trade_state"] == "NOTPAY":
            self.pay(txn["out_trade_no"])
        if method == "POST" and params.get("redirect_url"):
            start_response("302 Found", [("Location", params["redirect_url"])])
            return [b""]
        amount = f"¥{txn['amount']['total'] / 100:.2f}"
        state = html.escape(txn["trade_state"])
        action = html.escape(path + "?" + urlencode(params))
        page = (
            '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>微信支付</title><h1>微信支付 (local)</h1><p>{html.escape(txn['description'])}</p>"
            f'<p id="wx-amount">{amount}</p><p id="wx-state">{state}</p>'
            f'<form method="post" action="{action}"><button id="wx-pay" type="submit">确认支付</button></form>'
        )
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]
