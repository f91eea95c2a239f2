"""WeChat Pay's daily bills, in their real format: the trade bill (交易账单, ``bill_type=ALL``) and
the fund-flow bill (资金账单, ``account_type=BASIC``), each a UTF-8 CSV, served gzip-compressed.

A bill is a header line, one line per record (every value prefixed with a backtick so that a
spreadsheet keeps long numbers as text), then a summary header and one summary line.  Amounts are
yuan with two decimals (fees five).  :func:`write_trade_bill` / :func:`write_fundflow_bill` make
them (the local WeChat Pay server and the sandbox provider serve them); :func:`parse_trade_bill` /
:func:`parse_fundflow_bill` read them back into :class:`BillLine` s, refusing a bill whose header,
line count or totals do not add up (:class:`BillError`).

What reconciliation reads: the trade bill's ``SUCCESS`` lines are payments (商户订单号), its
``REFUND`` lines refunds (商户退款单号); the fund-flow bill's 商家转账 / 企业付款 expense lines are
payouts (业务凭证号 = our ``out_batch_no``).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

TRADE_HEADER = [
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
]
TRADE_SUMMARY = [
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
]
FUNDFLOW_HEADER = [
    "记账时间",
    "微信支付业务单号",
    "资金流水单号",
    "业务名称",
    "业务类型",
    "收支类型",
    "收支金额（元）",
    "账户结余（元）",
    "资金变更提交申请人",
    "备注",
    "业务凭证号",
]
FUNDFLOW_SUMMARY = ["资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额"]
TRANSFER_TYPES = {"商家转账", "企业付款"}
FEE_RATE = Decimal("0.006")  # 0.60%, shown in the bill; reconciliation matches amounts, not fees


class BillError(ValueError):
    """A bill that is not a well-formed WeChat Pay bill (or whose download does not verify)."""


@dataclass(frozen=True)
class BillLine:
    record: str  # payment, refund, transfer
    out_no: str  # our number: out_trade_no, out_refund_no, out_batch_no
    amount: int  # fen, positive
    provider_no: str = ""
    at: str = ""


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def fee_yuan(fen: int) -> str:
    return f"{(Decimal(fen) * FEE_RATE / 100).quantize(Decimal('0.00001'), ROUND_HALF_UP)}"


def to_fen(text: str) -> int:
    try:
        value = Decimal(text) * 100
    except InvalidOperation as exc:
        raise BillError(f"not an amount: {text!r}") from exc
    if value != value.to_integral_value():
        raise BillError(f"amount with more than two decimals: {text!r}")
    return int(value)


def _row(values: Iterable) -> list[str]:
    return ["`" + str(v) for v in values]


def _csv(lines: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(lines)
    return out.getvalue().encode("utf-8")


def write_trade_bill(*, mchid: str, appid: str, payments: Iterable[dict], refunds: Iterable[dict]) -> bytes:
    """Payments: ``at, transaction_id, out_trade_no, openid, trade_type, amount, description``;
    refunds: ``at, transaction_id, out_trade_no, refund_id, out_refund_no, amount, description``."""
    lines, count, settled, refunded, fees = [TRADE_HEADER], 0, 0, 0, Decimal(0)
    for p in payments:
        fee = fee_yuan(p["amount"])
        lines.append(
            _row(
                [p["at"], appid, mchid, 0, "", p["transaction_id"], p["out_trade_no"], p.get("openid", "")]
                + [p.get("trade_type", "NATIVE"), "SUCCESS", "OTHERS", "CNY", yuan(p["amount"]), "0.00"]
                + [0, 0, "0.00", "0.00", "", "", p.get("description", ""), "", fee, "0.60%"]
                + [yuan(p["amount"]), "0.00", ""]
            )
        )
        count, settled, fees = count + 1, settled + p["amount"], fees + Decimal(fee)
    for r in refunds:
        fee = fee_yuan(r["amount"])
        lines.append(
            _row(
                [r["at"], appid, mchid, 0, "", r["transaction_id"], r["out_trade_no"], r.get("openid", "")]
                + [r.get("trade_type", "NATIVE"), "REFUND", "OTHERS", "CNY", "0.00", "0.00"]
                + [r["refund_id"], r["out_refund_no"], yuan(r["amount"]), "0.00", "ORIGINAL", "SUCCESS"]
                + [r.get("description", ""), "", "-" + fee, "0.60%", "0.00", yuan(r["amount"]), ""]
            )
        )
        count, refunded, fees = count + 1, refunded + r["amount"], fees - Decimal(fee)
    lines.append(TRADE_SUMMARY)
    lines.append(_row([count, yuan(settled), yuan(refunded), "0.00", f"{fees:.5f}", yuan(settled)]))
    lines[-1].append("`" + yuan(refunded))
    return _csv(lines)


def write_fundflow_bill(*, movements: Iterable[dict], opening: int = 0) -> bytes:
    """Movements: ``at, provider_no, flow_no, kind (payment/refund/transfer), amount, out_no``."""
    names = {"payment": ("交易", "收入"), "refund": ("退款", "支出"), "transfer": ("商家转账", "支出")}
    lines, balance, income, expense = [FUNDFLOW_HEADER], opening, [0, 0], [0, 0]
    for m in movements:
        name, direction = names[m["kind"]]
        balance += m["amount"] if direction == "收入" else -m["amount"]
        tally = income if direction == "收入" else expense
        tally[0], tally[1] = tally[0] + 1, tally[1] + m["amount"]
        lines.append(
            _row(
                [m["at"], m["provider_no"], m["flow_no"], name, name, direction, yuan(m["amount"])]
                + [yuan(balance), "system", "", m["out_no"]]
            )
        )
    lines.append(FUNDFLOW_SUMMARY)
    lines.append(_row([income[0] + expense[0], income[0], yuan(income[1]), expense[0], yuan(expense[1])]))
    return _csv(lines)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def gunzipped(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise BillError("the bill is not a gzip file") from exc


def _records(data: bytes, header: list[str], summary: list[str]) -> tuple[list[dict], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BillError("the bill is not UTF-8") from exc
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r]
    if not rows or rows[0] != header:
        raise BillError("the bill's header is not WeChat Pay's")
    if len(rows) < 3 or rows[-2] != summary:
        raise BillError("the bill has no summary lines")
    body = []
    for row in rows[1:-2]:
        if len(row) != len(header):
            raise BillError(f"a bill line has {len(row)} columns, not {len(header)}")
        body.append(dict(zip(header, (v.removeprefix("`") for v in row), strict=True)))
    return body, [v.removeprefix("`") for v in rows[-1]]


def parse_trade_bill(data: bytes) -> Iterator[BillLine]:
    rows, total = _records(data, TRADE_HEADER, TRADE_SUMMARY)
    lines, settled, refunded = [], 0, 0
    for row in rows:
        if row["交易状态"] == "REFUND":
            amount = to_fen(row["退款金额"])
            refunded += amount
            lines.append(
                BillLine("refund", row["商户退款单号"], amount, row["微信退款单号"], row["交易时间"])
            )
        else:
            amount = to_fen(row["应结订单金额"])
            settled += amount
            lines.append(BillLine("payment", row["商户订单号"], amount, row["微信订单号"], row["交易时间"]))
    try:
        counted = int(total[0])
    except (ValueError, IndexError) as exc:
        raise BillError("the bill's summary line is malformed") from exc
    if counted != len(rows) or to_fen(total[1]) != settled or to_fen(total[2]) != refunded:
        raise BillError("the bill's lines do not add up to its summary")
    return iter(lines)


def parse_fundflow_bill(data: bytes) -> Iterator[BillLine]:
    rows, total = _records(data, FUNDFLOW_HEADER, FUNDFLOW_SUMMARY)
    lines, income, expense = [], 0, 0
    for row in rows:
        amount = to_fen(row["收支金额（元）"])
        if row["收支类型"] == "收入":
            income += amount
        else:
            expense += amount
        if row["业务类型"] in TRANSFER_TYPES and row["收支类型"] == "支出":
            lines.append(
                BillLine("transfer", row["业务凭证号"], amount, row["微信支付业务单号"], row["记账时间"])
            )
    try:
        counted, income_total, expense_total = int(total[0]), to_fen(total[2]), to_fen(total[4])
    except (ValueError, IndexError) as exc:
        raise BillError("the bill's summary line is malformed") from exc
    if counted != len(rows) or income_total != income or expense_total != expense:
        raise BillError("the bill's lines do not add up to its summary")
    return iter(lines)
