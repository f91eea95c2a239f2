"""Profit sharing (分账) at the local provider, service-provider mode: receivers, sharing orders,
unfreezing the rest, returns (分账回退) and the sharing notifications.

The rules a real provider applies and this one too: a receiver must be added to the sub-merchant
before it is shared to; the sharing of one transaction may take at most ``MAX_RATIO`` of it (the
sub-merchant's default 30%); only money still frozen can be shared; a return is only from a
*merchant* receiver of that sharing order, at most what it received there and still holds."""

from __future__ import annotations

import re
import secrets

from wechatpayv3.utils import rsa_decrypt

from fenxiao.core import clock

from . import protocol
from .server import OUT_NO, LocalMerchant, LocalWeChatPay, ProviderError

MAX_RATIO_BPS = 3000
ORDER = re.compile(r"^/v3/profitsharing/orders/([^/]+)$")
RETURN = re.compile(r"^/v3/profitsharing/return-orders/([^/]+)$")
RECEIVER_TYPES = {"MERCHANT_ID", "PERSONAL_OPENID"}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ProviderError(400, "PARAM_ERROR", message)


def route(server: LocalWeChatPay, merchant: LocalMerchant, method: str, path: str, query: dict, data: dict):
    if method == "POST" and path == "/v3/profitsharing/receivers/add":
        return 200, _add_receiver(server, merchant, data)
    if method == "POST" and path == "/v3/profitsharing/orders":
        return 200, _order(server, merchant, data)
    if method == "POST" and path == "/v3/profitsharing/orders/unfreeze":
        return 200, _unfreeze(server, merchant, data)
    if method == "POST" and path == "/v3/profitsharing/return-orders":
        return 200, _return(server, merchant, data)
    if method == "GET" and (match := ORDER.match(path)):
        sharing = server.state.sharings.get(match.group(1))
        if sharing is None or sharing["sub_mchid"] != query.get("sub_mchid", [""])[0]:
            raise ProviderError(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
        return 200, _public(sharing)
    if method == "GET" and (match := RETURN.match(path)):
        returned = server.state.sharing_returns.get(match.group(1))
        if returned is None or returned["sub_mchid"] != query.get("sub_mchid", [""])[0]:
            raise ProviderError(404, "RESOURCE_NOT_EXISTS", "回退单不存在")
        return 200, _public(returned)
    return None


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _sub(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> str:
    sub_mchid = data.get("sub_mchid", "")
    if server.sub_merchants.get(sub_mchid) != merchant.mchid:
        raise ProviderError(400, "NO_AUTH", "服务商与子商户无受理关系")
    return sub_mchid


def _add_receiver(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> dict:
    sub_mchid = _sub(server, merchant, data)
    kind, account = data.get("type", ""), data.get("account", "")
    _require(kind in RECEIVER_TYPES, "type 须为 MERCHANT_ID 或 PERSONAL_OPENID")
    _require(bool(account), "account 必填")
    _require(bool(data.get("relation_type")), "relation_type 必填")
    name = ""
    if data.get("name"):
        try:
            name = rsa_decrypt(data["name"], server.platform_key)
        except Exception as exc:  # noqa: BLE001 - any decryption failure is the caller's error
            raise ProviderError(400, "PARAM_ERROR", "name 解密失败，请使用平台证书加密") from exc
    if kind == "MERCHANT_ID":
        _require(bool(name), "接收方类型为 MERCHANT_ID 时 name（商户全称）必填")
        _require(account in server.merchants, "分账接收方商户号不存在")
    server.state.receivers[(sub_mchid, kind, account)] = {
        "relation_type": data["relation_type"],
        "name": name,
    }
    return {"sub_mchid": sub_mchid, "type": kind, "account": account, "relation_type": data["relation_type"]}


def _transaction(server: LocalWeChatPay, sub_mchid: str, transaction_id: str) -> dict:
    txn = next(
        (
            t
            for t in server.state.transactions.values()
            if t.get("transaction_id") == transaction_id and t.get("sub_mchid") == sub_mchid
        ),
        None,
    )
    if txn is None:
        raise ProviderError(404, "ORDER_NOT_EXIST", "微信订单不存在")
    if not txn.get("_profit_sharing"):
        raise ProviderError(403, "NO_AUTH", "该订单下单时未设置分账（settle_info.profit_sharing）")
    return txn


def _order(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> dict:
    sub_mchid = _sub(server, merchant, data)
    out_order_no = data.get("out_order_no", "")
    _require(bool(OUT_NO.match(out_order_no)), "out_order_no 格式错误")
    if out_order_no in server.state.sharings:
        return _public(server.state.sharings[out_order_no])
    txn = _transaction(server, sub_mchid, data.get("transaction_id", ""))
    receivers = data.get("receivers") or []
    _require(0 < len(receivers) <= 50, "分账接收方 1-50 个")
    for r in receivers:
        _require((sub_mchid, r.get("type"), r.get("account")) in server.state.receivers, "分账接收方未添加")
        _require(isinstance(r.get("amount"), int) and r["amount"] > 0, "分账金额须为正整数（分）")
        _require(0 < len(r.get("description", "")) <= 80, "分账描述必填")
    total = sum(r["amount"] for r in receivers)
    shared_before = sum(
        r["amount"]
        for s in server.state.sharings.values()
        if s["transaction_id"] == txn["transaction_id"]
        for r in s["receivers"]
    )
    if (shared_before + total) * 10000 > txn["amount"]["total"] * MAX_RATIO_BPS:
        raise ProviderError(400, "INVALID_REQUEST", "分账金额超出最大分账比例")
    if total > txn["_frozen"]:
        raise ProviderError(403, "NOT_ENOUGH", "订单待分账金额不足")
    now = protocol.rfc3339(clock.now())
    txn["_frozen"] -= total
    for r in receivers:
        if r["type"] == "MERCHANT_ID":
            server.state.merchant_received[r["account"]] = (
                server.state.merchant_received.get(r["account"], 0) + r["amount"]
            )
        else:
            server.state.wallets[r["account"]] = server.state.wallets.get(r["account"], 0) + r["amount"]
    sharing = {
        "sub_mchid": sub_mchid,
        "transaction_id": txn["transaction_id"],
        "out_order_no": out_order_no,
        "order_id": "3008" + secrets.token_hex(12),
        "state": "FINISHED",
        "receivers": [
            {
                "amount": r["amount"],
                "description": r["description"],
                "type": r["type"],
                "account": r["account"],
                "result": "SUCCESS",
                "detail_id": "3600" + secrets.token_hex(12),
                "create_time": now,
                "finish_time": now,
            }
            for r in receivers
        ],
        "_returned": {},
    }
    server.state.sharings[out_order_no] = sharing
    if data.get("unfreeze_unsplit"):
        _release(server, txn)
    return _public(sharing)


def _release(server: LocalWeChatPay, txn: dict) -> int:
    rest = txn["_frozen"]
    txn["_frozen"] = 0
    server.state.sub_balances[txn["sub_mchid"]] = server.state.sub_balances.get(txn["sub_mchid"], 0) + rest
    return rest


def _unfreeze(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> dict:
    sub_mchid = _sub(server, merchant, data)
    out_order_no = data.get("out_order_no", "")
    _require(bool(OUT_NO.match(out_order_no)), "out_order_no 格式错误")
    _require(bool(data.get("description")), "description 必填")
    if out_order_no in server.state.sharings:
        return _public(server.state.sharings[out_order_no])
    txn = _transaction(server, sub_mchid, data.get("transaction_id", ""))
    rest = _release(server, txn)
    now = protocol.rfc3339(clock.now())
    sharing = {
        "sub_mchid": sub_mchid,
        "transaction_id": txn["transaction_id"],
        "out_order_no": out_order_no,
        "order_id": "3008" + secrets.token_hex(12),
        "state": "FINISHED",
        "receivers": [
            {
                "amount": rest,
                "description": "解冻给分账方",
                "type": "MERCHANT_ID",
                "account": sub_mchid,
                "result": "SUCCESS",
                "detail_id": "3600" + secrets.token_hex(12),
                "create_time": now,
                "finish_time": now,
            }
        ],
        "_returned": {},
        "_unfreeze": True,
    }
    server.state.sharings[out_order_no] = sharing
    return _public(sharing)


def _return(server: LocalWeChatPay, merchant: LocalMerchant, data: dict) -> dict:
    sub_mchid = _sub(server, merchant, data)
    out_return_no = data.get("out_return_no", "")
    _require(bool(OUT_NO.match(out_return_no)), "out_return_no 格式错误")
    if out_return_no in server.state.sharing_returns:
        return _public(server.state.sharing_returns[out_return_no])
    sharing = server.state.sharings.get(data.get("out_order_no", ""))
    if sharing is None or sharing["sub_mchid"] != sub_mchid or sharing.get("_unfreeze"):
        raise ProviderError(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
    return_mchid, amount = data.get("return_mchid", ""), data.get("amount")
    _require(isinstance(amount, int) and amount > 0, "回退金额须为正整数（分）")
    _require(bool(data.get("description")), "description 必填")
    received = sum(
        r["amount"]
        for r in sharing["receivers"]
        if r["type"] == "MERCHANT_ID" and r["account"] == return_mchid
    )
    if not received:
        raise ProviderError(400, "INVALID_REQUEST", "回退方须为该分账单的商户类型接收方")
    if sharing["_returned"].get(return_mchid, 0) + amount > received:
        raise ProviderError(400, "INVALID_REQUEST", "回退金额超过该接收方分得金额")
    if server.state.merchant_received.get(return_mchid, 0) < amount:
        raise ProviderError(403, "NOT_ENOUGH", "回退方账户余额不足")
    server.state.merchant_received[return_mchid] -= amount
    server.state.sub_balances[sub_mchid] = server.state.sub_balances.get(sub_mchid, 0) + amount
    sharing["_returned"][return_mchid] = sharing["_returned"].get(return_mchid, 0) + amount
    now = protocol.rfc3339(clock.now())
    returned = {
        "sub_mchid": sub_mchid,
        "order_id": sharing["order_id"],
        "out_order_no": sharing["out_order_no"],
        "out_return_no": out_return_no,
        "return_id": "3008" + secrets.token_hex(12),
        "return_mchid": return_mchid,
        "amount": amount,
        "description": data["description"],
        "result": "SUCCESS",
        "create_time": now,
        "finish_time": now,
    }
    server.state.sharing_returns[out_return_no] = returned
    return _public(returned)


def sharing_notifications(server: LocalWeChatPay, out_order_no: str) -> list[tuple[dict, bytes]]:
    """One PROFITSHARING.SUCCESS notification per receiver of a sharing order (分账动账通知)."""
    with server.lock:
        sharing = server.state.sharings[out_order_no]
        sp_mchid = server.sub_merchants[sharing["sub_mchid"]]
        merchant = server.merchants[sp_mchid]
        resources = [
            {
                "sp_mchid": sp_mchid,
                "sub_mchid": sharing["sub_mchid"],
                "transaction_id": sharing["transaction_id"],
                "order_id": sharing["order_id"],
                "out_order_no": out_order_no,
                "receiver": {k: r[k] for k in ("type", "account", "amount", "description")},
                "success_time": r["finish_time"],
            }
            for r in sharing["receivers"]
        ]
    return [server.notification(merchant, "PROFITSHARING.SUCCESS", resource) for resource in resources]
