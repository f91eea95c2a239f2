"""Extension points of the order lifecycle, called inside the transaction that changes the order.

The distribution app uses them for commissions; the marketing plugins (issue 7) will too.

- ``ORDER_PLACED``: fn(order, priced_order) — after an order and its lines were written at checkout
  (``priced_order.adjustments`` says what the adjusters applied, e.g. points redeemed); may raise
  TradeError to refuse the whole checkout.
- ``ORDER_PAID``: fn(order) — after an order became paid.
- ``CANCELLED``: fn(order) — after an order was cancelled and its stock released, e.g. to give
  back a coupon or a flash-sale unit.  Two cases: an *unpaid* order cancelled by the consumer,
  staff or a timer (``order.paid_at`` is None), or a *paid* order refunded in full before anything
  of it shipped (``order.paid_at`` is set; e.g. its group buy failed, or after-sales refunded
  everything).  The order never happened in both, so the rule is to give back what the order
  took; a hook that must keep something for a paid order (the flash-sale tally) tests
  ``order.paid_at``.
- ``UNITS_NOT_TO_SHIP``: fn(order) -> {line_id: units} — units of a paid order refunded before
  they shipped (after-sales "refund only"); shipping leaves them out.
- ``SHIP_BLOCKERS``: fn(order) -> str | None — why a paid order may not ship yet (a reason for a
  person, translated), or None; ``fulfilment.ship`` refuses with the first reason, the console
  shows it instead of the shipping form (e.g. a group buy whose group is not complete).  Its twin
  (:func:`register_batch`), fn(orders) -> {order id: reason}, answers for a page of orders at once.
- ``REFUNDED``: fn(order, amount) — after a refund of ``amount`` fen succeeded (before or after
  settlement), e.g. to reverse points pro rata.
- ``SETTLEMENT_COMMISSIONS``: fn(order) -> {user_id: fen} — commission to make available at settlement.
- ``AFTER_SETTLEMENT``: fn(order) — after the settlement entry was posted.
- ``SETTLEMENT_DELAY``: fn(order) -> timedelta — extra wait after completion (freeze days).
- ``REFUND_BEFORE_SETTLEMENT``: fn(order, refund_amount) — reverse pending commission pro rata
  (posting its own ledger entries) before the refund entry is posted.
- ``CLAWBACK``: fn(order, parts: {user_id: fen}) — after settlement, the commission parts a refund
  took back (split by the trade app together with brand payable and fee, largest remainder).

Settlement runs in batches (``trade.settlement``), so each settlement hook has a set-based twin,
registered with :func:`register_batch` (per-order function → twin).  A batch meets a hook without
a twin by settling its orders one by one through ``fulfilment.settle``.

- twin of a ``SETTLEMENT_DELAY`` hook: fn() -> :class:`DelaySQL`;
- twin of a ``SETTLEMENT_COMMISSIONS`` hook: fn(table) -> (sql, params), a SELECT of columns
  ``order_id``, ``user_id``, ``amount`` (fen) for the orders listed in ``table`` (column
  ``order_id``);
- twin of an ``AFTER_SETTLEMENT`` hook: fn(batch: :class:`SettledBatch`) — after the batch's orders
  were marked settled and before its ledger entries are posted (the last statements, so the hot
  platform accounts stay locked briefly): it must not read the settlement entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

ORDER_PLACED: list[Callable] = []
ORDER_PAID: list[Callable] = []
CANCELLED: list[Callable] = []
REFUNDED: list[Callable] = []
UNITS_NOT_TO_SHIP: list[Callable] = []
SHIP_BLOCKERS: list[Callable] = []
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


def first_reasons(checks, orders: list) -> dict[int, str]:
    """{order id: the first reason} of the blocked ``orders``, asking each check (fn(orders) ->
    {order id: reason or None}) in turn about the orders no earlier check blocked."""
    reasons: dict[int, str] = {}
    for check in checks:
        open_orders = [o for o in orders if o.pk not in reasons]
        if not open_orders:
            break
        reasons.update({pk: str(reason) for pk, reason in check(open_orders).items() if reason})
    return reasons


def ship_blockers(orders) -> dict[int, str]:
    """Why each of ``orders`` may not ship yet, from the ``SHIP_BLOCKERS`` hooks: {order id: the
    first reason} of the blocked ones.  A hook with a twin registered by :func:`register_batch`
    (fn(orders) -> {order id: reason}) answers for a whole console page at once; one without is
    asked order by order."""

    def check(fn):
        return BATCH.get(fn) or (lambda some: {o.pk: fn(o) for o in some})

    return first_reasons([check(fn) for fn in SHIP_BLOCKERS], list(orders))


def ship_blocker(order) -> str | None:
    """The first reason a ``SHIP_BLOCKERS`` hook gives for not shipping ``order`` yet, or None."""
    return ship_blockers([order]).get(order.pk)


def units_held(order) -> dict[int, int]:
    """``UNITS_NOT_TO_SHIP`` merged: {line id: units refunded (and restocked) before shipping}."""
    held: dict[int, int] = {}
    for fn in UNITS_NOT_TO_SHIP:
        for line_id, units in fn(order).items():
            held[line_id] = held.get(line_id, 0) + units
    return held


def register(point: list[Callable], fn: Callable) -> None:
    if fn not in point:
        point.append(fn)


BATCH: dict[Callable, Callable] = {}


def register_batch(per_order: Callable, twin: Callable) -> None:
    BATCH[per_order] = twin


@dataclass(frozen=True)
class DelaySQL:
    """A settlement delay in SQL: ``join`` is joined onto ``trade_order AS o``, ``days`` is an
    integer expression (extra days after completion), ``values`` every value it takes now."""

    join: str
    days: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class SettledBatch:
    """Orders just settled together, at ``now``: ``table`` lists them (columns ``order_id``,
    ``brand_id``, ``distributor_id``)."""

    table: str
    now: datetime
    count: int
