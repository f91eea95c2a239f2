"""The marketing plugin interface.

A marketing tool is one class: it says which order lines it applies to and how much it takes off
each (at its fixed position in the pricing pipeline), and what it reserves or releases when an
order is placed, paid, cancelled or refunded.  Register it with :func:`register` and it is
called by ``fenxiao.trade.pricing`` (through ``ADJUSTERS``) and by the order lifecycle hooks
(``fenxiao.trade.hooks``)::

    @register
    class BirthdayTenOff(MarketingTool):
        name = "birthday"
        position = 25                       # after promotions (20), before coupons (30)

        def adjust(self, order, consumer, now):
            if not is_birthday(consumer, now):
                return {}
            weights = [line.paid for line in order.lines]
            return dict(enumerate(allocate(min(1000, sum(weights)), weights)))

Price order (documented, fixed; lower runs first, each sees the lines' ``paid`` after the
earlier positions): member price (10, CRM) → promotions (20: flash sale 20, group price 21,
full reduction 22) → coupons (30) → points (40, CRM).  The CRM's two adjusters are part of the
same pipeline: :func:`install` wraps them so that their per-line parts are recorded too.

Every discount is attributed to the line that received it: the framework adds each tool's
per-line parts to ``PricedLine.discount`` (which becomes ``OrderLine.discount`` and so the
commission base ``OrderLine.paid_amount``) and writes one :class:`~.models.LineDiscount` row per
(line, tool) when the order is placed.  A part is never more than what the line still costs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fenxiao.core import clock
from fenxiao.trade import hooks, pricing
from fenxiao.trade.pricing import PricedLine, PricedOrder

LINES_KEY = "lines"  # order.adjustments["lines"][tool name] = {line index: fen}


class MarketingTool:
    """Base class of a marketing tool.  Override what the tool needs; the defaults do nothing."""

    #: unique name, also the key of its parts in ``PricedOrder.adjustments["lines"]``
    name: str = ""
    #: place in the pricing pipeline (10 member price, 20 promotion, 30 coupon, 40 points)
    position: int = 0

    def applies_to(self, order: PricedOrder, line: PricedLine, consumer, now: datetime) -> bool:
        """Whether the tool may discount ``line`` (used by :meth:`adjust` implementations)."""
        return False

    def adjust(self, order: PricedOrder, consumer, now: datetime) -> dict[int, int]:
        """Per-line discounts in fen, ``{index in order.lines: fen}``.  May note what it applied
        in ``order.adjustments[self.name]`` for :meth:`on_placed`.  Must not write."""
        return {}

    def on_placed(self, order, priced_order: PricedOrder) -> None:
        """In the checkout transaction, after the order and its lines were written: reserve what
        the price relied on (a coupon, a flash unit, a group seat) or raise TradeError."""

    def on_paid(self, order) -> None:
        """After the order became paid."""

    def on_cancelled(self, order) -> None:
        """After an order was cancelled: give back what :meth:`on_placed` took.  Either unpaid
        (cancelled or closed; ``order.paid_at`` is None) or paid and refunded in full before
        anything shipped (``order.paid_at`` is set) — the order never happened in both."""

    def ship_blocker(self, order) -> str | None:
        """Why the paid ``order`` may not ship yet (a translated reason), or None."""
        return None

    def ship_blockers(self, orders: list) -> dict[int, str | None]:
        """:meth:`ship_blocker` for a page of orders ({order id: reason}); override it with one
        query when the per-order check reads the database."""
        return {order.pk: self.ship_blocker(order) for order in orders}

    def on_refunded(self, order, amount: int) -> None:
        """After ``amount`` fen of the order was refunded."""


TOOLS: dict[str, MarketingTool] = {}


def register(cls: type[MarketingTool]) -> type[MarketingTool]:
    """Register a tool class (usable as a decorator); registering the same name twice replaces it."""
    tool = cls()
    if not tool.name or tool.position <= 0:
        raise ValueError(f"{cls.__name__} needs a name and a positive position")
    TOOLS[tool.name] = tool
    _register_adjuster(tool)
    return cls


def tools() -> list[MarketingTool]:
    return sorted(TOOLS.values(), key=lambda t: t.position)


def pipeline() -> list[tuple[int, str]]:
    """The pricing pipeline as it runs: (position, name), lowest first."""
    return [(position, name) for position, name, _ in pricing.ADJUSTERS]


def _add_parts(order: PricedOrder, name: str, parts: dict[int, int]) -> None:
    recorded = order.adjustments.setdefault(LINES_KEY, {}).setdefault(name, {})
    for index, fen in parts.items():
        line = order.lines[index]
        fen = max(0, min(int(fen), line.paid))
        if fen:
            line.discount += fen
            recorded[index] = recorded.get(index, 0) + fen


def _tool_adjuster(tool: MarketingTool) -> Callable:
    def adjust(orders: list[PricedOrder], consumer) -> None:
        now = clock.now()
        for order in orders:
            _add_parts(order, tool.name, tool.adjust(order, consumer, now) or {})

    adjust.marketing_recorded = True
    return adjust


def _register_adjuster(tool: MarketingTool) -> None:
    pricing.ADJUSTERS[:] = [entry for entry in pricing.ADJUSTERS if entry[1] != tool.name]
    pricing.register_adjuster(tool.position, tool.name, _tool_adjuster(tool))


def _recording(name: str, fn: Callable) -> Callable:
    """Wrap an adjuster written without this interface (the CRM's member price and points): its
    per-line parts are measured and recorded like a tool's."""

    def adjust(orders: list[PricedOrder], consumer) -> None:
        before = [[line.discount for line in order.lines] for order in orders]
        fn(orders, consumer)
        for order, previous in zip(orders, before, strict=True):
            parts = {
                i: line.discount - was
                for i, (line, was) in enumerate(zip(order.lines, previous, strict=True))
            }
            recorded = order.adjustments.setdefault(LINES_KEY, {}).setdefault(name, {})
            for index, fen in parts.items():
                if fen > 0:
                    recorded[index] = recorded.get(index, 0) + fen

    adjust.marketing_recorded = True
    adjust.wrapped = fn
    return adjust


def install() -> None:
    """Called once from ``MarketingConfig.ready``: record every adjuster's per-line parts and
    connect the tools to the order lifecycle hooks."""
    pricing.ADJUSTERS[:] = [
        (position, name, fn if getattr(fn, "marketing_recorded", False) else _recording(name, fn))
        for position, name, fn in pricing.ADJUSTERS
    ]
    hooks.register(hooks.ORDER_PLACED, on_order_placed)
    hooks.register(hooks.ORDER_PAID, on_order_paid)
    hooks.register(hooks.CANCELLED, on_order_cancelled)
    hooks.register(hooks.REFUNDED, on_order_refunded)
    hooks.register(hooks.SHIP_BLOCKERS, ship_blocker)
    hooks.register_batch(ship_blocker, ship_blockers)


def on_order_placed(order, priced_order: PricedOrder) -> None:
    from .models import LineDiscount

    lines = list(order.lines.order_by("id"))
    rows = []
    for name, parts in priced_order.adjustments.get(LINES_KEY, {}).items():
        tool = TOOLS.get(name)
        reference = getattr(tool, "reference_for", lambda _o: "")(priced_order) if tool else ""
        for index, fen in parts.items():
            if fen:
                rows.append(
                    LineDiscount(order=order, line=lines[index], tool=name, reference=reference, amount=fen)
                )
    LineDiscount.objects.bulk_create(rows)
    for tool in tools():
        tool.on_placed(order, priced_order)


def on_order_paid(order) -> None:
    for tool in tools():
        tool.on_paid(order)


def on_order_cancelled(order) -> None:
    for tool in tools():
        tool.on_cancelled(order)


def on_order_refunded(order, amount: int) -> None:
    for tool in tools():
        tool.on_refunded(order, amount)


def ship_blockers(orders: list) -> dict[int, str]:
    return hooks.first_reasons([tool.ship_blockers for tool in tools()], orders)


def ship_blocker(order) -> str | None:
    return ship_blockers([order]).get(order.pk)
