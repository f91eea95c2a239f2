"""The local provider's bills (``GET /v3/bill/tradebill``, ``/v3/bill/fundflowbill`` and the
``download_url`` they answer with), built from its own records in WeChat Pay's real format:
gzip-compressed CSV with the real header and summary lines (:mod:`fenxiao.payments.bills`).

The apply answer carries ``hash_type: SHA1`` and the ``hash_value`` of the gzip file, signed with
the rest of the answer; the merchant checks the downloaded file against it.

Test hooks (:class:`BillInjections`, ``server.bill_injections``): lines the provider has and we do
not, lines of ours it leaves out, amounts it shows differently, and a download tampered in transit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date

from fenxiao.payments import bills

from .server import LocalMerchant, LocalWeChatPay, ProviderError


@dataclass
class BillInjections:
    extra_payments: list[dict] = field(default_factory=list)  # {"out_trade_no", "amount"}
    dropped: set[str] = field(default_factory=set)  # our numbers the bill leaves out
    amounts: dict[str, int] = field(default_factory=dict)  # our number -> the amount the bill shows
    tamper: bool = False  # the downloaded file differs from the signed hash


def _time(rfc3339: str) -> str:
    return rfc3339[:19].replace("T", " ")


def _on(rfc3339: str | None, day: date) -> bool:
    return bool(rfc3339) and rfc3339[:10] == day.isoformat()


def trade_bill(server: LocalWeChatPay, merchant: LocalMerchant, day: date) -> bytes:
    inject: BillInjections = server.bill_injections
    payments, refunds = [], []
    for txn in server.state.transactions.values():
        if txn["mchid"] != merchant.mchid or txn["trade_state"] not in {"SUCCESS", "REFUND"}:
            continue
        if not _on(txn.get("success_time"), day) or txn["out_trade_no"] in inject.dropped:
            continue
        payments.append(
            {
                "at": _time(txn["success_time"]),
                "transaction_id": txn["transaction_id"],
                "out_trade_no": txn["out_trade_no"],
                "openid": txn["payer"]["openid"],
                "trade_type": txn["trade_type"],
                "amount": inject.amounts.get(txn["out_trade_no"], txn["amount"]["total"]),
                "description": txn["description"],
            }
        )
    for extra in inject.extra_payments:
        payments.append(
            {
                "at": f"{day.isoformat()} 12:00:00",
                "transaction_id": "4200" + secrets.token_hex(10),
                "out_trade_no": extra["out_trade_no"],
                "amount": extra["amount"],
                "description": "injected",
            }
        )
    for refund in server.state.refunds.values():
        if refund["_mchid"] != merchant.mchid or refund["status"] != "SUCCESS":
            continue
        if not _on(refund.get("success_time"), day) or refund["out_refund_no"] in inject.dropped:
            continue
        refunds.append(
            {
                "at": _time(refund["success_time"]),
                "transaction_id": refund["transaction_id"],
                "out_trade_no": refund["out_trade_no"],
                "refund_id": refund["refund_id"],
                "out_refund_no": refund["out_refund_no"],
                "amount": inject.amounts.get(refund["out_refund_no"], refund["amount"]["refund"]),
            }
        )
    return bills.write_trade_bill(
        mchid=merchant.mchid, appid=merchant.appid, payments=payments, refunds=refunds
    )


def fundflow_bill(server: LocalWeChatPay, merchant: LocalMerchant, day: date) -> bytes:
    inject: BillInjections = server.bill_injections
    movements = []
    for txn in server.state.transactions.values():
        if txn["mchid"] == merchant.mchid and txn.get("success_time") and _on(txn["success_time"], day):
            movements.append(
                {
                    "at": _time(txn["success_time"]),
                    "provider_no": txn["transaction_id"],
                    "flow_no": "F" + secrets.token_hex(12),
                    "kind": "payment",
                    "amount": txn["amount"]["total"],
                    "out_no": txn["out_trade_no"],
                }
            )
    for (mchid, _batch), details in server.state.batches.items():
        for detail in details.values():
            if mchid != merchant.mchid or detail["detail_status"] != "SUCCESS":
                continue
            if not _on(detail["update_time"], day) or detail["out_detail_no"] in inject.dropped:
                continue
            movements.append(
                {
                    "at": _time(detail["update_time"]),
                    "provider_no": detail["detail_id"],
                    "flow_no": "F" + secrets.token_hex(12),
                    "kind": "transfer",
                    "amount": inject.amounts.get(detail["out_batch_no"], detail["transfer_amount"]),
                    "out_no": detail["out_batch_no"],
                }
            )
    movements.sort(key=lambda m: m["at"])
    return bills.write_fundflow_bill(movements=movements)


def apply(server: LocalWeChatPay, merchant: LocalMerchant, kind: str, query: dict) -> dict:
    """Answer ``GET /v3/bill/tradebill`` / ``fundflowbill``: where to download, and the file's SHA1."""
    try:
        day = date.fromisoformat(query.get("bill_date", [""])[0])
    except ValueError as exc:
        raise ProviderError(400, "PARAM_ERROR", "bill_date 格式错误，须为 YYYY-MM-DD") from exc
    if query.get("tar_type", [""])[0] not in ("", "GZIP"):
        raise ProviderError(400, "PARAM_ERROR", "tar_type 仅支持 GZIP")
    csv = trade_bill(server, merchant, day) if kind == "trade" else fundflow_bill(server, merchant, day)
    data = bills.gzipped(csv)
    token = secrets.token_urlsafe(24)
    served = data
    if server.bill_injections.tamper:  # altered in transit: not the file the hash was signed for
        served = bills.gzipped(csv.replace(b"`CNY", b"`USD", 1) + b"`tampered\r\n")
    server.state.bill_files[token] = (merchant.mchid, served)
    return {
        "hash_type": "SHA1",
        "hash_value": hashlib.sha1(data).hexdigest(),
        "download_url": f"{server.url}/v3/billdownload/file?token={token}",
    }


def download(server: LocalWeChatPay, merchant: LocalMerchant, query: dict) -> bytes:
    found = server.state.bill_files.get(query.get("token", [""])[0])
    if found is None or found[0] != merchant.mchid:
        raise ProviderError(404, "NOT_FOUND", "账单下载地址无效或已过期")
    return found[1]
