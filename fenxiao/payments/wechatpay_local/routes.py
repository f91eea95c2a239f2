"""The API v3 endpoints the local provider answers (direct-merchant mode), with real payload shapes."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from wechatpayv3.utils import rsa_decrypt

from fenxiao.core import clock
from fenxiao.payments.models import REAL_NAME_FROM

from . import protocol
from .server import OUT_NO, OUT_TRADE_NO, LocalMerchant, LocalWeChatPay, ProviderError

PAY = re.compile(r"^/v3/pay/transactions/(jsapi|h5|native)$")
BY_OUT_TRADE_NO = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/]+)$")
CLOSE = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/]+)/close$")
REFUND = re.compile(r"^/v3/refund/domestic/refunds/([^/]+)$")
DETAIL = re.compile(r"^/v3/transfer/batches/out-batch-no/([^/]+)/details/out-detail-no/([^/]+)$")


def route(server: LocalWeChatPay, merchant: LocalMerchant, method: str, path: str, query: dict, data: dict):
    with server.lock:
        if method == "GET" and path == "/v3/certificates":
            return 200, _certificates(server, merchant)
        if method == "POST" and (match := PAY.match(path)):
            return 200, _prepay(server, merchant, match.group(1), data)
        if method == "GET" and (match := BY_OUT_TRADE_NO.match(path)):
            if query.get("mchid", [""])[0] != merchant.mchid:
                raise ProviderError(400, "PARAM_ERROR", "mchid 与请求商户不符")
            return 200, server._public_transaction(_transaction(server, merchant, match.group(1)))
        if method == "POST" and (match := CLOSE.match(path)):
            txn = _transaction(server, merchant, match.group(1))
            if txn["trade_state"] == "SUCCESS":
                raise ProviderError(400, "ORDERPAID", "订单已支付")
            txn.update(trade_state="CLOSED", trade_state_desc="订单已关闭")
            return 204, {}
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return 200, _refund(server, merchant, data)
        if method == "GET" and (match := REFUND.match(path)):
            refund = server.state.refunds.get(match.group(1))
            if refund is None or refund["_mchid"] != merchant.mchid:
                raise ProviderError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return 200, {k: v for k, v in refund.items() if not k.startswith("_")}
        if method == "GET" and path in ("/v3/bill/tradebill", "/v3/bill/fundflowbill"):
            from . import bills

            return 200, bills.apply(server, merchant, "trade" if "trade" in path else "fundflow", query)
        if method == "POST" and path == "/v3/transfer/batches":
            return 200, _transfer_batch(server, merchant, data)
        if method == "GET" and (match := DETAIL.match(path)):
            detail = server.state.batches.get((merchant.mchid, match.group(1)), {}).get(match.group(2))
            if detail is None:
                raise ProviderError(404, "NOT_FOUND", "记录不存在")
            return 200, {k: v for k, v in detail.items() if not k.startswith("_")}
    raise ProviderError(404, "NOT_FOUND", f"no such API: {method} {path}")


def _certificates(server: LocalWeChatPay, merchant: LocalMerchant) -> dict:
    cert = server.platform_certificate
    return {
        "data": [
            {
                "serial_no": server.certificate_serial,
                "effective_time": protocol.rfc3339(cert.not_valid_before_utc),
                "expire_time": protocol.rfc3339(cert.not_valid_after_utc),
                "encrypt_certificate": protocol.aes_encrypt(
                    merchant.apiv3_key, protocol.certificate_pem(cert), "certificate"
                ),
            }
        ]
    }


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ProviderError(400, "PARAM_ERROR", message)


def _prepay(server: LocalWeChatPay, merchant: LocalMerchant, kind: str, data: dict) -> dict:
    _require(data.get("mchid") == merchant.mchid, "mchid 与请求商户不符")
    _require(data.get("appid") == merchant.appid, "appid 与 mchid 不匹配")
    _require(bool(OUT_TRADE_NO.match(data.get("out_trade_no", ""))), "out_trade_no 须为 6-32 位字母数字_-*|")
    _require(0 < len(data.get("description", "")) <= 127, "description 长度错误")
    _require(str(data.get("notify_url", "")).startswith(("http://", "https://")), "notify_url 格式错误")
    _require("?" not in data["notify_url"], "notify_url 不能携带参数")
    amount = data.get("amount", {})
    _require(isinstance(amount.get("total"), int) and amount["total"] > 0, "amount.total 须为正整数（分）")
    _require(amount.get("currency", "CNY") == "CNY", "仅支持 CNY")
    if data.get("time_expire"):
        expires = datetime.fromisoformat(data["time_expire"])
        _require(expires.utcoffset() is not None, "time_expire 须为 RFC 3339 格式")
    if kind == "jsapi":
        _require(bool(data.get("payer", {}).get("openid")), "JSAPI 下单须提供 payer.openid")
    if kind == "h5":
        scene = data.get("scene_info", {})
        _require(bool(scene.get("payer_client_ip")), "H5 下单须提供 scene_info.payer_client_ip")
        _require(bool(scene.get("h5_info", {}).get("type")), "H5 下单须提供 scene_info.h5_info.type")
    existing = server.state.transactions.get(data["out_trade_no"])
    if existing:
        if existing["mchid"] != merchant.mchid or existing["amount"]["total"] != amount["total"]:
            raise ProviderError(400, "INVALID_REQUEST", "201 商户订单号重复")
        if existing["trade_state"] == "SUCCESS":
            raise ProviderError(400, "ORDERPAID", "订单已支付")
        if existing["trade_state"] == "CLOSED":
            raise ProviderError(400, "ORDER_CLOSED", "订单已关闭")
        txn = existing
    else:
        trade_type = {"jsapi": "JSAPI", "h5": "MWEB", "native": "NATIVE"}[kind]
        txn = {
            "appid": merchant.appid,
            "mchid": merchant.mchid,
            "out_trade_no": data["out_trade_no"],
            "trade_type": trade_type,
            "trade_state": "NOTPAY",
            "trade_state_desc": "订单未支付",
            "description": data["description"],
            "payer": {"openid": data.get("payer", {}).get("openid", "oLocalPayer" + secrets.token_hex(8))},
            "amount": {"total": amount["total"], "currency": "CNY"},
            "_notify_url": data["notify_url"],
            "_prepay_id": "wx" + secrets.token_hex(14),
        }
        txn["_code_url"] = "weixin://wxpay/bizpayurl?pr=" + secrets.token_urlsafe(8)
        server.state.transactions[data["out_trade_no"]] = txn
    if kind == "jsapi":
        return {"prepay_id": txn["_prepay_id"]}
    if kind == "h5":
        return {"h5_url": f"{server.url}/h5pay/?prepay_id={txn['_prepay_id']}&package={secrets.token_hex(4)}"}
    return {"code_url": txn["_code_url"]}


def _transaction(server: LocalWeChatPay, merchant: LocalMerchant, out_trade_no: str) -> dict:
    txn = server.state.transactions.get(out_trade_no)
    if txn is None or txn.get("sp_mchid", txn.get("mchid")) != merchant.mchid:
        raise ProviderError(404, "ORDER_NOT_EXIST", "订单不存在")
    return txn


def _refund(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> dict:
    out_refund_no = data.get("out_refund_no", "")
    _require(bool(OUT_NO.match(out_refund_no)), "out_refund_no 格式错误")
    if out_refund_no in server.state.refunds:
        refund = server.state.refunds[out_refund_no]
        return {k: v for k, v in refund.items() if not k.startswith("_")}
    txn = _transaction(server, merchant, data.get("out_trade_no", ""))
    if txn["trade_state"] not in {"SUCCESS", "REFUND"}:
        raise ProviderError(403, "TRADE_STATE_ERROR", "订单未支付，无法退款")
    amount = data.get("amount", {})
    _require(amount.get("total") == txn["amount"]["total"], "amount.total 与原订单金额不符")
    _require(isinstance(amount.get("refund"), int) and amount["refund"] > 0, "amount.refund 须为正整数（分）")
    refunded = sum(
        r["amount"]["refund"]
        for r in server.state.refunds.values()
        if r["out_trade_no"] == txn["out_trade_no"] and r["status"] in {"SUCCESS", "PROCESSING"}
    )
    if refunded + amount["refund"] > txn["amount"]["total"]:
        raise ProviderError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
    if "sp_mchid" in txn:  # service-provider mode: the sub-merchant's money pays the refund
        from .partner import fund_refund

        fund_refund(server, txn, data, amount["refund"])
    now = clock.now()
    abnormal = "abnormal" in data.get("reason", "")
    refund = {
        "refund_id": "5030" + secrets.token_hex(12),
        "out_refund_no": out_refund_no,
        "transaction_id": txn["transaction_id"],
        "out_trade_no": txn["out_trade_no"],
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": protocol.rfc3339(now),
        "status": "PROCESSING",
        "funds_account": "AVAILABLE",
        "amount": {
            "total": txn["amount"]["total"],
            "refund": amount["refund"],
            "payer_total": txn["amount"]["total"],
            "payer_refund": amount["refund"],
            "settlement_total": txn["amount"]["total"],
            "settlement_refund": amount["refund"],
            "discount_refund": 0,
            "currency": "CNY",
        },
        "_mchid": merchant.mchid,
        "_notify_url": data.get("notify_url", ""),
    }
    server.state.refunds[out_refund_no] = refund
    answer = {k: v for k, v in refund.items() if not k.startswith("_")}
    # The provider finishes the refund a moment later; its outcome arrives as a notification.
    refund["status"] = "ABNORMAL" if abnormal else "SUCCESS"
    if not abnormal:
        refund["success_time"] = protocol.rfc3339(now + timedelta(seconds=1))
        txn["trade_state"] = "REFUND" if refunded + amount["refund"] == txn["amount"]["total"] else "SUCCESS"
    if server.auto_notify and refund["_notify_url"]:
        threading_deliver(server, out_refund_no)
    return answer


def threading_deliver(server: LocalWeChatPay, out_refund_no: str) -> None:
    import threading

    threading.Thread(target=server.refund_notifications, args=(out_refund_no,), daemon=True).start()


def _transfer_batch(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> dict:
    _require(data.get("appid") == merchant.appid, "appid 与 mchid 不匹配")
    out_batch_no = data.get("out_batch_no", "")
    _require(bool(re.match(r"^[A-Za-z0-9]{5,32}$", out_batch_no)), "out_batch_no 须为 5-32 位字母数字")
    details = data.get("transfer_detail_list") or []
    _require(len(details) == data.get("total_num"), "total_num 与明细笔数不符")
    _require(
        sum(d["transfer_amount"] for d in details) == data.get("total_amount"), "total_amount 与明细不符"
    )
    for d in details:
        if d["transfer_amount"] >= REAL_NAME_FROM or d.get("user_name"):
            _require(bool(d.get("user_name")), "转账金额 >= 2,000元时，收款用户姓名 user_name 必填")
            try:  # encrypted with the platform certificate: only the platform key opens it
                d["_user_name"] = rsa_decrypt(d["user_name"], server.platform_key)
            except (ValueError, TypeError) as exc:
                raise ProviderError(400, "PARAM_ERROR", "user_name 解密失败，请使用平台证书加密") from exc
    key = (merchant.mchid, out_batch_no)
    batch_id = "1030000" + secrets.token_hex(10)
    if key not in server.state.batches:
        now = protocol.rfc3339(clock.now())
        server.state.batches[key] = {
            d["out_detail_no"]: {
                "mchid": merchant.mchid,
                "out_batch_no": out_batch_no,
                "batch_id": batch_id,
                "appid": merchant.appid,
                "out_detail_no": d["out_detail_no"],
                "detail_id": "1040000" + secrets.token_hex(10),
                "detail_status": "FAIL" if d["openid"] in server.frozen_openids else "SUCCESS",
                "fail_reason": "ACCOUNT_FROZEN" if d["openid"] in server.frozen_openids else "",
                "transfer_amount": d["transfer_amount"],
                "transfer_remark": d["transfer_remark"],
                "openid": d["openid"],
                "_user_name": d.get("_user_name", ""),
                "initiate_time": now,
                "update_time": now,
            }
            for d in details
        }
    first = next(iter(server.state.batches[key].values()))
    return {
        "out_batch_no": out_batch_no,
        "batch_id": first["batch_id"],
        "create_time": first["initiate_time"],
        "batch_status": "ACCEPTED",
    }
