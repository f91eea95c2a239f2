"""Extension points of the order lifecycle, called inside the transaction that changes the order.

The distribution app uses them for commissions; the marketing plugins (issue 7) will too.

- ``ORDER_PLACED``: fn(order, priced_order) — after an order and its lines were written at checkout
  (``priced_order.adjustments`` says what the adjusters applied, e.g. points redeemed); may raise
  TradeError to refuse the whole checkout.
- ``ORDER_PAID``: fn(order) — after an order became paid.
- ``CANCELLED``: fn(order) — after an unpaid order was cancelled (by the consumer, staff or the
  unpaid timer) and its stock released, e.g. to give back a coupon or a flash-sale unit.
- ``UNITS_NOT_TO_SHIP``: fn(order) -> {line_id: units} — units of a paid order refunded before
  they shipped (after-sales "refund only"); shipping leaves them out.
- ``REFUNDED``: fn(order, amount) — after a refund of ``amount`` fen succeeded (before or after
  settlement), e.g. to reverse points pro rata.
- ``SETTLEMENT_COMMISSIONS``: fn(order) -> {user_id: fen} — commission to make available at settlement.
- ``AFTER_SETTLEMENT``: fn(order) — after the settlement entry was posted.
- ``SETTLEMENT_DELAY``: fn(order) -> timedelta — extra wait after completion (freeze days).
- ``REFUND_BEFORE_SETTLEMENT``: fn(order, refund_amount) — reverse pending commission pro rata
  (posting its own ledger entries) before the refund entry is posted.
- ``CLAWBACK``: fn(order, parts: {user_id: fen}) — after settlement, the commission parts a refund
  took back (split by the trade app together with brand payable and fee, largest remainder).
"""

from __future__ import annotations

from collections.abc import Callable

ORDER_PLACED: list[Callable] = []
ORDER_PAID: list[Callable] = []
CANCELLED: list[Callable] = []
REFUNDED: list[Callable] = []
UNITS_NOT_TO_SHIP: list[Callable] = []
SETTLEMENT_COMMISSIONS: list[Callable] = []
AFTER_SETTLEMENT: list[Callable] = []
SETTLEMENT_DELAY: list[Callable] = []
REFUND_BEFORE_SETTLEMENT: list[Callable] = []
CLAWBACK: list[Callable] = []


def commissions_of(order) -> dict[int, int]:
    merged: dict[int, int] = {}
    for fn in SETTLEMENT_COMMISSIONS:
        for user_id, amount in fn(order).items():
            merged[user_id] = merged.get(user_id, 0) + amount
    return {k: v for k, v in merged.items() if v}


def register(point: list[Callable], fn: Callable) -> None:
    if fn not in point:
        point.append(fn)
