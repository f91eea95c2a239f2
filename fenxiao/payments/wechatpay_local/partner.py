"""Service-provider (partner) payments at the local provider: partner JSAPI / H5 / Native orders
for one sub-merchant, combined payments (合单支付) whose sub-orders go to several sub-merchants,
their queries and closes, and where the money is: a transaction paid with
``settle_info.profit_sharing`` stays frozen (``_frozen``) until profit sharing or an unfreeze
moves it; everything else is the sub-merchant's available balance (``state.sub_balances``)."""

from __future__ import annotations

import re
import secrets
import time

from fenxiao.core import clock

from . import protocol
from .server import OUT_TRADE_NO, LocalMerchant, LocalWeChatPay, ProviderError

PAY = re.compile(r"^/v3/pay/partner/transactions/(jsapi|h5|native)$")
BY_NO = re.compile(r"^/v3/pay/partner/transactions/out-trade-no/([^/]+)$")
CLOSE = re.compile(r"^/v3/pay/partner/transactions/out-trade-no/([^/]+)/close$")
COMBINE_PAY = re.compile(r"^/v3/combine-transactions/(jsapi|h5|native)$")
COMBINE_BY_NO = re.compile(r"^/v3/combine-transactions/out-trade-no/([^/]+)$")
COMBINE_CLOSE = re.compile(r"^/v3/combine-transactions/out-trade-no/([^/]+)/close$")
TRADE_TYPES = {"jsapi": "JSAPI", "h5": "MWEB", "native": "NATIVE"}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ProviderError(400, "PARAM_ERROR", message)


def _own_sub_merchant(server: LocalWeChatPay, merchant: LocalMerchant, sub_mchid: str) -> None:
    if server.sub_merchants.get(sub_mchid) != merchant.mchid:
        raise ProviderError(400, "NO_AUTH", "服务商与子商户无受理关系")


def route(server: LocalWeChatPay, merchant: LocalMerchant, method: str, path: str, query: dict, data: dict):
    """The answer, or None when the path is not a partner payment API."""
    if method == "POST" and (match := PAY.match(path)):
        return 200, _partner_prepay(server, merchant, match.group(1), data)
    if method == "GET" and (match := BY_NO.match(path)):
        txn = partner_transaction(server, merchant, match.group(1))
        if query.get("sub_mchid", [""])[0] != txn["sub_mchid"]:
            raise ProviderError(400, "PARAM_ERROR", "sub_mchid 与订单不符")
        return 200, server._public_transaction(txn)
    if method == "POST" and (match := CLOSE.match(path)):
        txn = partner_transaction(server, merchant, match.group(1))
        if txn["trade_state"] == "SUCCESS":
            raise ProviderError(400, "ORDERPAID", "订单已支付")
        txn.update(trade_state="CLOSED", trade_state_desc="订单已关闭")
        return 204, {}
    if method == "POST" and (match := COMBINE_PAY.match(path)):
        return 200, _combine_prepay(server, merchant, match.group(1), data)
    if method == "GET" and (match := COMBINE_BY_NO.match(path)):
        return 200, combine_resource(server, _combine(server, merchant, match.group(1)))
    if method == "POST" and (match := COMBINE_CLOSE.match(path)):
        combine = _combine(server, merchant, match.group(1))
        subs = [server.state.transactions[no] for no in combine["_sub_orders"]]
        if any(t["trade_state"] == "SUCCESS" for t in subs):
            raise ProviderError(400, "ORDERPAID", "订单已支付")
        for txn in subs:
            txn.update(trade_state="CLOSED", trade_state_desc="订单已关闭")
        return 204, {}
    return None


def partner_transaction(server: LocalWeChatPay, merchant: LocalMerchant, out_trade_no: str) -> dict:
    txn = server.state.transactions.get(out_trade_no)
    if txn is None or txn.get("sp_mchid") != merchant.mchid:
        raise ProviderError(404, "ORDER_NOT_EXIST", "订单不存在")
    return txn


def _combine(server: LocalWeChatPay, merchant: LocalMerchant, combine_no: str) -> dict:
    combine = server.state.combines.get(combine_no)
    if combine is None or combine["combine_mchid"] != merchant.mchid:
        raise ProviderError(404, "ORDER_NOT_EXIST", "合单订单不存在")
    return combine


def _check_common(data: dict, kind: str, payer: dict) -> None:
    _require(str(data.get("notify_url", "")).startswith(("http://", "https://")), "notify_url 格式错误")
    if kind == "jsapi":
        _require(bool(payer.get("sp_openid") or payer.get("openid")), "JSAPI 下单须提供付款人 openid")
    if kind == "h5":
        _require(bool(data.get("scene_info", {}).get("payer_client_ip")), "H5 下单须提供 payer_client_ip")


def _new_transaction(
    sp_mchid: str, sub_mchid: str, kind: str, no: str, description: str, total: int, **extra
):
    return {
        "sp_mchid": sp_mchid,
        "sub_mchid": sub_mchid,
        "out_trade_no": no,
        "trade_type": TRADE_TYPES[kind],
        "trade_state": "NOTPAY",
        "trade_state_desc": "订单未支付",
        "description": description,
        "amount": {"total": total, "currency": "CNY"},
        "_prepay_id": "wx" + secrets.token_hex(14),
        "_code_url": "weixin://wxpay/bizpayurl?pr=" + secrets.token_urlsafe(8),
        "_frozen": 0,
        **extra,
    }


def _answer(server: LocalWeChatPay, kind: str, holder: dict) -> dict:
    if kind == "jsapi":
        return {"prepay_id": holder["_prepay_id"]}
    if kind == "h5":
        return {"h5_url": f"{server.url}/h5pay/?prepay_id={holder['_prepay_id']}"}
    return {"code_url": holder["_code_url"]}


def _partner_prepay(server: LocalWeChatPay, merchant: LocalMerchant, kind: str, data: dict) -> dict:
    _require(data.get("sp_mchid") == merchant.mchid, "sp_mchid 与请求商户不符")
    _require(data.get("sp_appid") == merchant.appid, "sp_appid 与 sp_mchid 不匹配")
    _own_sub_merchant(server, merchant, data.get("sub_mchid", ""))
    _require(bool(OUT_TRADE_NO.match(data.get("out_trade_no", ""))), "out_trade_no 格式错误")
    _require(0 < len(data.get("description", "")) <= 127, "description 长度错误")
    amount = data.get("amount", {})
    _require(isinstance(amount.get("total"), int) and amount["total"] > 0, "amount.total 须为正整数（分）")
    _check_common(data, kind, data.get("payer", {}))
    existing = server.state.transactions.get(data["out_trade_no"])
    if existing:
        if existing.get("sub_mchid") != data["sub_mchid"] or existing["amount"]["total"] != amount["total"]:
            raise ProviderError(400, "INVALID_REQUEST", "201 商户订单号重复")
        if existing["trade_state"] != "NOTPAY":
            raise ProviderError(400, "ORDERPAID", "订单已支付或已关闭")
        return _answer(server, kind, existing)
    txn = _new_transaction(
        merchant.mchid,
        data["sub_mchid"],
        kind,
        data["out_trade_no"],
        data["description"],
        amount["total"],
        sp_appid=merchant.appid,
        payer={"sp_openid": data.get("payer", {}).get("sp_openid", "oLocal" + secrets.token_hex(8))},
        _notify_url=data["notify_url"],
        _profit_sharing=bool(data.get("settle_info", {}).get("profit_sharing")),
    )
    server.state.transactions[txn["out_trade_no"]] = txn
    return _answer(server, kind, txn)


def _combine_prepay(server: LocalWeChatPay, merchant: LocalMerchant, kind: str, data: dict) -> dict:
    _require(data.get("combine_mchid") == merchant.mchid, "combine_mchid 与请求商户不符")
    _require(data.get("combine_appid") == merchant.appid, "combine_appid 与 combine_mchid 不匹配")
    combine_no = data.get("combine_out_trade_no", "")
    _require(bool(OUT_TRADE_NO.match(combine_no)), "combine_out_trade_no 格式错误")
    subs = data.get("sub_orders") or []
    _require(2 <= len(subs) <= 50, "子单数量须为 2-50 笔")
    _check_common(data, kind, data.get("combine_payer_info", {}))
    if combine_no in server.state.combines:
        return _answer(server, kind, server.state.combines[combine_no])
    numbers = []
    for sub in subs:
        _require(sub.get("mchid") == merchant.mchid, "子单 mchid 须为合单发起方（服务商）商户号")
        _own_sub_merchant(server, merchant, sub.get("sub_mchid", ""))
        _require(bool(OUT_TRADE_NO.match(sub.get("out_trade_no", ""))), "子单 out_trade_no 格式错误")
        _require(sub["out_trade_no"] not in server.state.transactions, "子单 out_trade_no 重复")
        _require(0 < len(sub.get("description", "")) <= 127, "子单 description 长度错误")
        total = sub.get("amount", {}).get("total_amount")
        _require(isinstance(total, int) and total > 0, "子单 amount.total_amount 须为正整数（分）")
        numbers.append(sub["out_trade_no"])
    _require(len(set(numbers)) == len(numbers), "子单 out_trade_no 重复")
    combine = {
        "combine_appid": merchant.appid,
        "combine_mchid": merchant.mchid,
        "combine_out_trade_no": combine_no,
        "combine_payer_info": {"openid": data.get("combine_payer_info", {}).get("openid", "")},
        "_sub_orders": numbers,
        "_notify_url": data["notify_url"],
        "_prepay_id": "wx" + secrets.token_hex(14),
        "_code_url": "weixin://wxpay/bizpayurl?pr=" + secrets.token_urlsafe(8),
    }
    for sub in subs:
        server.state.transactions[sub["out_trade_no"]] = _new_transaction(
            merchant.mchid,
            sub["sub_mchid"],
            kind,
            sub["out_trade_no"],
            sub["description"],
            sub["amount"]["total_amount"],
            attach=sub.get("attach", ""),
            _combine=combine_no,
            _notify_url=data["notify_url"],
            _profit_sharing=bool(sub.get("settle_info", {}).get("profit_sharing")),
        )
    server.state.combines[combine_no] = combine
    return _answer(server, kind, combine)


def settle_paid(server: LocalWeChatPay, txn: dict) -> None:
    """The payer paid a partner transaction: the money lands with the sub-merchant, frozen when
    the order asked for profit sharing."""
    if txn.get("_profit_sharing"):
        txn["_frozen"] = txn["amount"]["total"]
    else:
        server.state.sub_balances[txn["sub_mchid"]] = (
            server.state.sub_balances.get(txn["sub_mchid"], 0) + txn["amount"]["total"]
        )


def _mark_paid(server: LocalWeChatPay, txn: dict) -> None:
    if txn["trade_state"] != "NOTPAY":
        return
    txn.update(
        trade_state="SUCCESS",
        trade_state_desc="支付成功",
        transaction_id="4200" + str(int(time.time())) + secrets.token_hex(6),
        success_time=protocol.rfc3339(clock.now()),
    )
    settle_paid(server, txn)


def combine_resource(server: LocalWeChatPay, combine: dict) -> dict:
    subs = []
    for no in combine["_sub_orders"]:
        txn = server.state.transactions[no]
        sub = {
            "mchid": txn["sp_mchid"],
            "sub_mchid": txn["sub_mchid"],
            "trade_type": txn["trade_type"],
            "trade_state": txn["trade_state"],
            "attach": txn.get("attach", ""),
            "out_trade_no": no,
            "amount": {"total_amount": txn["amount"]["total"], "currency": "CNY"},
        }
        if txn["trade_state"] == "SUCCESS" or txn.get("transaction_id"):
            sub.update(
                bank_type="OTHERS",
                success_time=txn.get("success_time"),
                transaction_id=txn.get("transaction_id", ""),
            )
            sub["amount"].update(payer_amount=txn["amount"]["total"], payer_currency="CNY")
        subs.append(sub)
    return {
        **{k: v for k, v in combine.items() if not k.startswith("_")},
        "sub_orders": subs,
    }


def pay_combine(server: LocalWeChatPay, combine_no: str, *, deliver: bool | None = None):
    """The payer confirms a combined payment: every sub-order succeeds at once, one notification."""
    with server.lock:
        combine = server.state.combines[combine_no]
        for no in combine["_sub_orders"]:
            _mark_paid(server, server.state.transactions[no])
        merchant = server.merchants[combine["combine_mchid"]]
        resource = combine_resource(server, combine)
    headers, body = server.notification(merchant, "TRANSACTION.SUCCESS", resource)
    if deliver if deliver is not None else server.auto_notify:
        server.deliver(combine["_notify_url"], headers, body, event_type="TRANSACTION.SUCCESS")
    return headers, body


def fund_refund(server: LocalWeChatPay, txn: dict, data: dict, amount: int) -> None:
    """A refund of a partner transaction comes from its frozen money first, then from the
    sub-merchant's available balance (NOT_ENOUGH when that is short)."""
    _require(data.get("sub_mchid") == txn["sub_mchid"], "sub_mchid 与原订单不符")
    frozen = txn.get("_frozen", 0)
    available = server.state.sub_balances.get(txn["sub_mchid"], 0)
    if amount > frozen + available:
        raise ProviderError(403, "NOT_ENOUGH", "子商户可用余额不足")
    from_frozen = min(frozen, amount)
    txn["_frozen"] = frozen - from_frozen
    server.state.sub_balances[txn["sub_mchid"]] = available - (amount - from_frozen)
