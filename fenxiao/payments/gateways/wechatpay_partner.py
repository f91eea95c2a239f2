"""WeChat Pay API v3 in service-provider mode (服务商模式) through the SDK ``wechatpayv3``
(``partner_mode=True``): the platform's merchant is the service provider (``sp_mchid``) and each
brand on the service-provider funds flow is a sub-merchant (``sub_mchid``).

- a payment for one brand is a partner order for its sub-merchant with
  ``settle_info.profit_sharing`` (the money stays frozen until profit sharing);
- a payment for several brands is one combined payment (合单支付, ``combine_pay``) whose
  sub-orders (:class:`PaymentSubOrder`) each go to one brand's sub-merchant;
- refunds are partner refunds on the brand's sub-order;
- profit sharing (receivers, orders, unfreeze, returns) is :mod:`fenxiao.payments.profit_sharing`.

Notifications are the direct mode's (same keys, same signatures): :class:`WeChatPayGateway`'s
``parse_notification`` verifies them; :mod:`fenxiao.payments.services` applies combined ones."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from urllib.parse import quote

from wechatpayv3 import WeChatPayType

from ..models import MerchantAccount, PaymentSubOrder
from .base import GatewayError, GatewayPaymentState, GatewayRefundResult, PaymentAction
from .wechatpay import (
    WeChatPayGateway,
    _call,
    _Client,
    _failure,
    active_merchant,
    jsapi_params,
    openid_of,
    rfc3339,
)


class PartnerClient(_Client):
    def __init__(self, merchant: MerchantAccount):
        super().__init__(merchant)
        self._partner_mode = True


_clients: dict[tuple, PartnerClient] = {}
_lock = threading.Lock()


def partner_client(merchant: MerchantAccount) -> PartnerClient:
    key = (merchant.pk, merchant.updated_at, merchant.api_base_url)
    with _lock:
        client = _clients.get(key)
    if client is None:
        if not merchant.secrets_set:
            raise GatewayError("the WeChat Pay merchant's APIv3 key or private key is not set")
        try:
            client = PartnerClient(merchant)
        except Exception as exc:  # the SDK raises bare Exception
            raise GatewayError(f"WeChat Pay client could not start: {exc}") from exc
        client.refreshed_at = time.monotonic()
        with _lock:
            _clients[key] = client
    return client


def _sub_orders(payment) -> list[PaymentSubOrder]:
    subs = list(PaymentSubOrder.objects.filter(payment=payment).order_by("id"))
    if not subs:
        raise GatewayError("a service-provider payment needs its brands' sub-orders")
    return subs


class WeChatPayPartnerGateway(WeChatPayGateway):
    name = "wechatpay_partner"

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
        client = partner_client(merchant)
        kind = self._pay_type(scene)
        subs = _sub_orders(payment)
        payer_openid = ""
        if kind == WeChatPayType.JSAPI:
            payer_openid = openid or openid_of(payment.payer, merchant.appid)
            if not payer_openid:
                raise GatewayError("JSAPI needs the payer's openid (sign in with WeChat first)")
        scene_info = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
        notify = merchant.notify_url or notify_url
        description = payment.description[:127] or payment.out_trade_no
        if len(subs) == 1:
            params = {
                "description": description,
                "out_trade_no": payment.out_trade_no,
                "amount": {"total": payment.amount, "currency": "CNY"},
                "notify_url": notify,
                "pay_type": kind,
                "sub_mchid": subs[0].sub_mchid,
                "settle_info": {"profit_sharing": True},
            }
            if payment.expires_at:
                params["time_expire"] = rfc3339(payment.expires_at)
            if payer_openid:
                params["payer"] = {"sp_openid": payer_openid}
            if kind == WeChatPayType.H5:
                params["scene_info"] = scene_info
            code, data = _call(client.pay, **params)
        else:
            params = {
                "combine_out_trade_no": payment.out_trade_no,
                "sub_orders": [
                    {
                        "mchid": merchant.mchid,
                        "sub_mchid": sub.sub_mchid,
                        "out_trade_no": sub.out_trade_no,
                        "attach": f"brand:{sub.brand_id}",
                        "amount": {"total_amount": sub.amount, "currency": "CNY"},
                        "description": description,
                        "settle_info": {"profit_sharing": True},
                    }
                    for sub in subs
                ],
                "notify_url": notify,
                "pay_type": kind,
            }
            if payment.expires_at:
                params["time_expire"] = rfc3339(payment.expires_at)
            if payer_openid:
                params["combine_payer_info"] = {"openid": payer_openid}
            if kind == WeChatPayType.H5:
                params["scene_info"] = scene_info
            code, data = _call(client.combine_pay, **params)
        if code != 200:
            raise GatewayError(_failure(code, data))
        if kind == WeChatPayType.JSAPI:
            return PaymentAction(jsapi_params=jsapi_params(client, merchant.appid, data["prepay_id"]))
        if kind == WeChatPayType.H5:
            return PaymentAction(redirect_url=data["h5_url"] + "&redirect_url=" + quote(return_url, safe=""))
        return PaymentAction(qr_text=data["code_url"])

    def query(self, payment) -> GatewayPaymentState:
        client = partner_client(self._merchant(payment))
        subs = _sub_orders(payment)
        if len(subs) == 1:
            code, data = _call(client.query, out_trade_no=payment.out_trade_no, sub_mchid=subs[0].sub_mchid)
            if code == 404:
                return GatewayPaymentState(payment.out_trade_no, "NOTPAY", payment.amount)
            if code != 200:
                raise GatewayError(_failure(code, data))
            data = {**data, "sub_orders": [dict(data, amount={"total_amount": data["amount"]["total"]})]}
        else:
            code, data = _call(client.combine_query, combine_out_trade_no=payment.out_trade_no)
            if code == 404:
                return GatewayPaymentState(payment.out_trade_no, "NOTPAY", payment.amount)
            if code != 200:
                raise GatewayError(_failure(code, data))
        from ..profit_sharing import record_sub_order_transactions

        states = {sub.get("trade_state") for sub in data["sub_orders"]}
        if states != {"SUCCESS"}:
            return GatewayPaymentState(payment.out_trade_no, "NOTPAY", payment.amount)
        record_sub_order_transactions(payment, data["sub_orders"])
        times = [s.get("success_time") for s in data["sub_orders"] if s.get("success_time")]
        return GatewayPaymentState(
            out_trade_no=payment.out_trade_no,
            state="SUCCESS",
            amount=sum(int(s["amount"]["total_amount"]) for s in data["sub_orders"]),
            transaction_id=data["sub_orders"][0].get("transaction_id", ""),
            paid_at=datetime.fromisoformat(max(times)) if times else None,
        )

    def close(self, payment) -> None:
        merchant = self._merchant(payment)
        client = partner_client(merchant)
        subs = _sub_orders(payment)
        if len(subs) == 1:
            code, data = _call(client.close, out_trade_no=payment.out_trade_no, sub_mchid=subs[0].sub_mchid)
        else:
            code, data = _call(
                client.combine_close,
                combine_out_trade_no=payment.out_trade_no,
                sub_orders=[
                    {"mchid": merchant.mchid, "sub_mchid": s.sub_mchid, "out_trade_no": s.out_trade_no}
                    for s in subs
                ],
            )
        if code not in (200, 204, 404) and data.get("code") != "ORDERPAID":
            raise GatewayError(_failure(code, data))

    def refund(self, refund) -> GatewayRefundResult:
        merchant = self._merchant(refund.payment)
        sub = refund.sub_order
        if sub is None:
            return GatewayRefundResult(False, failure_reason="a service-provider refund names its brand")
        code, data = _call(
            partner_client(merchant).refund,
            out_refund_no=refund.out_refund_no,
            amount={"refund": refund.amount, "total": sub.amount, "currency": "CNY"},
            out_trade_no=sub.out_trade_no,
            reason=refund.reason[:80] or None,
            notify_url=merchant.notify_url or None,
            sub_mchid=sub.sub_mchid,
        )
        if code != 200:
            return GatewayRefundResult(False, failure_reason=_failure(code, data))
        if data.get("status") == "SUCCESS":
            return GatewayRefundResult(True, provider_refund_id=data["refund_id"])
        if data.get("status") == "PROCESSING":
            return GatewayRefundResult(False, provider_refund_id=data["refund_id"], pending=True)
        return GatewayRefundResult(
            False, provider_refund_id=data.get("refund_id", ""), failure_reason="failed"
        )

    def refund_state(self, refund) -> GatewayRefundResult:
        sub = refund.sub_order
        client = partner_client(self._merchant(refund.payment))
        code, data = _call(client.query_refund, out_refund_no=refund.out_refund_no, sub_mchid=sub.sub_mchid)
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
        return GatewayRefundResult(False, failure_reason="payouts go through the platform's direct merchant")


__all__ = ["WeChatPayPartnerGateway", "active_merchant", "partner_client"]
