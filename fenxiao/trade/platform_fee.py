"""The platform fee rule and what an order still holds at settlement, in Python and in SQL.

What an order holds when it settles: ``kept = paid − refunded``; refunds come off the goods first
and shipping is refunded only with everything, so ``shipping = min(shipping, kept)`` and
``goods = kept − shipping``.  The platform keeps ``platform_fee_bps`` of those goods, rounded half
up to a whole fen (``core.money.apply_bps``); the rate is copied onto the order when it is placed,
so a later change of the brand's rate never touches orders already placed.

:func:`settlement_amounts` is the per-order rule (``fulfilment.settle``), :func:`amounts_sql` its
twin for the settlement batch (``trade.settlement``): integer arithmetic of non-negative numbers,
``(goods × bps × 2 + 10000) / 20000``, the same on both databases.  A property test runs both on
random orders and compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fenxiao.core.money import BPS_DENOMINATOR, apply_bps


@dataclass(frozen=True)
class SettlementAmounts:
    goods: int
    shipping: int
    fee: int


def amounts(*, paid: int, refunded: int, shipping: int, fee_bps: int) -> SettlementAmounts:
    kept = paid - refunded
    shipping = min(shipping, kept)
    goods = kept - shipping
    return SettlementAmounts(goods=goods, shipping=shipping, fee=apply_bps(goods, fee_bps))


def settlement_amounts(order) -> SettlementAmounts:
    """(goods, shipping, platform fee) the order still holds, after its refunds."""
    return amounts(
        paid=order.paid_amount,
        refunded=order.refunded_amount,
        shipping=order.shipping_amount,
        fee_bps=order.platform_fee_bps,
    )


@dataclass(frozen=True)
class SettlementAmountsSQL:
    goods: str
    shipping: str
    fee: str


def amounts_sql(alias: str = "o") -> SettlementAmountsSQL:
    """The same three amounts as SQL expressions over the order table aliased ``alias``."""
    kept = f"(CAST({alias}.paid_amount AS BIGINT) - {alias}.refunded_amount)"
    shipping = f"(CASE WHEN {alias}.shipping_amount < {kept} THEN {alias}.shipping_amount ELSE {kept} END)"
    goods = f"({kept} - {shipping})"
    fee = f"(({goods} * {alias}.platform_fee_bps * 2 + {BPS_DENOMINATOR}) / {2 * BPS_DENOMINATOR})"
    return SettlementAmountsSQL(goods=goods, shipping=shipping, fee=fee)
