"""The marketing plugin interface.

A marketing tool is one class: it says which order lines it applies to and how much it takes off
each (at its fixed position in the pricing pipeline), and what it reserves or releases when an
order is placed, paid, cancelled or refunded.  ``MarketingConfig.ready`` installs the tools
(:func:`install`); the marketing app's one order extension (``order_extension.py``) turns each
into a step of the pricing pipeline and calls them at each step of the order's life::

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
full reduction 22) → coupons (30) → points (40, CRM).  The CRM's two steps are part of the same
pipeline (``trade.extensions.price_adjusters``).

Every discount is attributed to the line that received it: each tool's per-line parts are added
to ``PricedLine.discount`` (which becomes ``OrderLine.discount`` and so the commission base
``OrderLine.paid_amount``), pricing records them per step (``PricedOrder.adjustments["lines"]``)
and the extension writes one :class:`~.models.LineDiscount` row per (line, step) when the order is
placed.  A part is never more than what the line still costs.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ImproperlyConfigured

from fenxiao.core import clock
from fenxiao.trade import pricing
from fenxiao.trade.extensions import PriceAdjuster
from fenxiao.trade.pricing import PricedLine, PricedOrder


class MarketingTool:
    """Base class of a marketing tool.  Override what the tool needs; the defaults do nothing."""

    #: unique name, also the key of its parts in ``PricedOrder.adjustments["lines"]``
    name: str = ""
    #: place in the pricing pipeline (10 member price, 20 promotion, 30 coupon, 40 points)
    position: int = 0
    #: True when :meth:`on_placed` takes a row every buyer of the tool contends for (a flash
    #: sale's tally): such tools reserve after all the others (:func:`placing_order`), so the
    #: contended row is locked as late as marketing can — the fewest statements before COMMIT.
    reserves_hot_row: bool = False

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


def install(*tool_classes: type[MarketingTool]) -> None:
    """Register the tools (once, from ``MarketingConfig.ready``); a name used twice is refused."""
    for cls in tool_classes:
        tool = cls()
        if not tool.name or tool.position <= 0:
            raise ImproperlyConfigured(f"{cls.__name__} needs a name and a positive position")
        if tool.name in TOOLS and type(TOOLS[tool.name]) is not cls:
            raise ImproperlyConfigured(f"two marketing tools are named {tool.name!r}")
        TOOLS[tool.name] = tool


def tools() -> list[MarketingTool]:
    return sorted(TOOLS.values(), key=lambda t: t.position)


def placing_order() -> list[MarketingTool]:
    """The tools in the order they reserve when an order is placed: by position, the tools that
    reserve a hot row (``reserves_hot_row``) last."""
    return sorted(TOOLS.values(), key=lambda t: (t.reserves_hot_row, t.position))


def pipeline() -> list[tuple[int, str]]:
    """The whole pricing pipeline as it runs (the CRM's steps included): (position, name)."""
    return pricing.pipeline()


def adjuster(tool: MarketingTool) -> PriceAdjuster:
    """The tool as a step of the pricing pipeline: its per-line parts, each at most what the line
    still costs, become line discounts (pricing records them per tool)."""

    def adjust(orders: list[PricedOrder], consumer) -> None:
        now = clock.now()
        for order in orders:
            for index, fen in (tool.adjust(order, consumer, now) or {}).items():
                line = order.lines[index]
                line.discount += max(0, min(int(fen), line.paid))

    adjust.__qualname__ = f"{type(tool).__qualname__}.adjust"
    adjust.__module__ = type(tool).__module__
    return PriceAdjuster(position=tool.position, name=tool.name, adjust=adjust)
