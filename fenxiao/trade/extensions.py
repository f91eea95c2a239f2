"""The one way an app takes part in an order's life: :class:`OrderExtension`.

Who touches an order?  ``grep -rn "^class .*(OrderExtension)" fenxiao`` — one line per app,
each in a module named ``order_extension.py``.  An app subclasses :class:`OrderExtension`, overrides what it
needs (every method does nothing by default) and registers one instance from its
``AppConfig.ready()``::

    class CrmExtension(OrderExtension):
        def on_paid(self, order): ...

    # crm/apps.py
    def ready(self):
        from fenxiao.trade import extensions
        from .order_extension import CrmExtension
        extensions.register(CrmExtension())

Every method runs inside the transaction that changes the order, so what an extension writes
commits or rolls back with the order.  The steps, in the order an order meets them
(docs/architecture.md, "Life of an order", is generated from the registrations by
:func:`life_of_an_order`):

- **attributed** — :meth:`~OrderExtension.on_attributed` when a consumer becomes attributable to a
  distributor (a signed-in share-link visit, a new binding): before any order, it decides whose
  orders they will be.
- **priced** — :meth:`~OrderExtension.price_adjusters` take money off lines at fixed positions
  (member price 10, promotions 20–22, coupons 30, points 40); :meth:`~OrderExtension.attribute`
  names the distributor an order is attributed to and its store prices (one extension at most);
  :meth:`~OrderExtension.visitor_unit_prices` the prices a product page shows a visitor.
- **placed** — :meth:`~OrderExtension.on_placed` after the order and its lines were written at
  checkout; may raise ``TradeError`` to refuse the whole checkout.
- **paid** — :meth:`~OrderExtension.on_paid`.
- **shipped** — :meth:`~OrderExtension.ship_blockers` may hold a paid order back (a group not yet
  complete); :meth:`~OrderExtension.units_not_to_ship` leaves out units refunded before they
  shipped; :meth:`~OrderExtension.on_shipped` after a shipment was written.
- **received** — :meth:`~OrderExtension.on_received` when the order completes (receipt confirmed
  by the consumer or automatically).
- **settled** — per order: :meth:`~OrderExtension.settlement_delay`,
  :meth:`~OrderExtension.settlement_commissions`, :meth:`~OrderExtension.on_settled`; the
  settlement batch (``trade.settlement``) uses their set-based twins
  :meth:`~OrderExtension.settlement_delay_sql`, :meth:`~OrderExtension.settlement_commissions_sql`,
  :meth:`~OrderExtension.on_settled_batch`.  A twin is a required partner: an extension that
  overrides one side of a pair and not the other is refused at start-up by :func:`register`.
- **refunded** — :meth:`~OrderExtension.refund_before_settlement` (reverse what is still pending,
  before the refund entry is posted) or :meth:`~OrderExtension.clawback` (after settlement, the
  parts the refund split took back), then :meth:`~OrderExtension.on_refunded`.
- **cancelled** — :meth:`~OrderExtension.on_cancelled`: an unpaid order cancelled, or a paid one
  refunded in full before anything shipped (``order.paid_at`` is set); give back what the order
  took.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Order, Shipment
    from .pricing import PricedOrder


@dataclass(frozen=True)
class Attribution:
    """Who an order is attributed to: the distributor (level 1), its inviter (level 2) and the
    distributor's store prices (sku id → fen)."""

    distributor: object | None = None
    inviter: object | None = None
    unit_prices: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PriceAdjuster:
    """A step of the pricing pipeline: ``adjust(orders, consumer)`` adds line discounts (fen) to
    the priced orders; lower ``position`` runs first.  Pricing records each step's per-line parts
    under ``name`` (``PricedOrder.adjustments["lines"][name]``)."""

    position: int
    name: str
    adjust: Callable[[list[PricedOrder], object], None]
    #: True when the step's cut on one unit needs no choice of the buyer and does not depend on
    #: the rest of the order (the member price): such steps make the unit price every page shows
    #: (``trade.selectors.visitor_unit_prices``), so they must cut each unit alike.
    per_unit: bool = False


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


class OrderExtension:
    """What an app may do in an order's life.  Override what the app needs; the defaults do
    nothing.  See the module's docstring for when each method runs."""

    # -- attributed, priced --------------------------------------------------------------------
    def on_attributed(self, *, brand_id: int, consumer, distributor_id: int) -> None:
        """``consumer`` became attributable to ``distributor_id`` at the brand (a signed-in
        share-link visit, or a new binding)."""

    def price_adjusters(self) -> Sequence[PriceAdjuster]:
        """The app's steps of the pricing pipeline (read once, at registration)."""
        return ()

    def attribute(self, *, consumer, brand) -> Attribution | None:
        """Who an order ``consumer`` places now at ``brand`` is attributed to (one extension)."""
        return None

    def visitor_unit_prices(self, request: HttpRequest, product) -> Mapping[int, int]:
        """{sku id: fen} a product page shows this visitor instead of the retail price."""
        return {}

    # -- placed, paid -------------------------------------------------------------------------
    def on_placed(self, order: Order, priced_order: PricedOrder) -> None:
        """The order and its lines were written at checkout; raise TradeError to refuse."""

    def on_paid(self, order: Order) -> None:
        """The order became paid."""

    # -- shipped, received --------------------------------------------------------------------
    def ship_blockers(self, orders: list[Order]) -> Mapping[int, str | None]:
        """{order id: why it may not ship yet (a translated reason), or None} for paid orders."""
        return {}

    def units_not_to_ship(self, order: Order) -> Mapping[int, int]:
        """{line id: units} of a paid order refunded (and restocked) before they shipped."""
        return {}

    def on_shipped(self, order: Order, shipment: Shipment) -> None:
        """A shipment of the order was written."""

    def on_received(self, order: Order) -> None:
        """The order completed: receipt confirmed by the consumer or automatically."""

    # -- settled: each per-order method with its set-based twin --------------------------------
    def settlement_delay(self, order: Order) -> timedelta:
        """Extra wait after completion before the order settles (freeze days)."""
        return timedelta(0)

    def settlement_delay_sql(self) -> DelaySQL:
        """Twin of :meth:`settlement_delay` for the settlement batch."""
        raise NotImplementedError

    def settlement_commissions(self, order: Order) -> Mapping[int, int]:
        """{user id: fen} of commission made available when the order settles."""
        return {}

    def settlement_commissions_sql(self, table: str) -> tuple[str, list]:
        """Twin of :meth:`settlement_commissions`: a SELECT of ``order_id``, ``user_id``,
        ``amount`` for the orders listed in ``table`` (column ``order_id``)."""
        raise NotImplementedError

    def on_settled(self, order: Order) -> None:
        """The order's settlement entry was posted."""

    def on_settled_batch(self, batch: SettledBatch) -> None:
        """Twin of :meth:`on_settled`: the batch's orders were marked settled; runs before their
        ledger entries are posted, so it must not read them."""

    # -- refunded, cancelled ------------------------------------------------------------------
    def refund_before_settlement(self, order: Order, amount: int) -> None:
        """A refund of ``amount`` fen is about to be posted for an order not yet settled."""

    def clawback(self, order: Order, parts: dict[int, int]) -> None:
        """After settlement: the commission parts ({user id: fen}) a refund takes back."""

    def on_refunded(self, order: Order, amount: int) -> None:
        """A refund of ``amount`` fen succeeded (before or after settlement)."""

    def on_cancelled(self, order: Order) -> None:
        """The order was cancelled (unpaid, or paid and refunded in full before shipping)."""


#: per-order settlement methods and their set-based twins
TWINS = {
    "settlement_delay": "settlement_delay_sql",
    "settlement_commissions": "settlement_commissions_sql",
    "on_settled": "on_settled_batch",
}
#: the steps of an order's life and the contract methods that act in each
STEPS: dict[str, tuple[str, ...]] = {
    "attributed": ("on_attributed",),
    "priced": ("price_adjusters", "attribute", "visitor_unit_prices"),
    "placed": ("on_placed",),
    "paid": ("on_paid",),
    "shipped": ("ship_blockers", "units_not_to_ship", "on_shipped"),
    "received": ("on_received",),
    "settled": (
        "settlement_delay",
        "settlement_delay_sql",
        "settlement_commissions",
        "settlement_commissions_sql",
        "on_settled",
        "on_settled_batch",
    ),
    "refunded": ("refund_before_settlement", "clawback", "on_refunded"),
    "cancelled": ("on_cancelled",),
}
METHODS = tuple(name for names in STEPS.values() for name in names)

_EXTENSIONS: list[OrderExtension] = []
_ACTING: dict[str, list[OrderExtension]] = {name: [] for name in METHODS}
_ADJUSTERS: list[PriceAdjuster] = []


def overrides(extension: OrderExtension, method: str) -> bool:
    """Whether ``extension`` implements ``method`` (rather than inheriting the no-op)."""
    return getattr(type(extension), method) is not getattr(OrderExtension, method)


def register(extension: OrderExtension) -> None:
    """Register an app's extension (once, from its ``AppConfig.ready()``).  Refuses, at start-up,
    an extension with one side of a settlement pair and not its twin, a second extension that
    attributes orders, and a second registration of the same class."""
    cls = type(extension)
    if any(type(existing) is cls for existing in _EXTENSIONS):
        raise ImproperlyConfigured(f"{cls.__qualname__} is registered twice")
    for per_order, twin in TWINS.items():
        if overrides(extension, per_order) != overrides(extension, twin):
            has, lacks = (per_order, twin) if overrides(extension, per_order) else (twin, per_order)
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__qualname__} implements {has} but not its twin {lacks}:"
                " the settlement batch and the per-order path must both be able to settle"
            )
    if overrides(extension, "attribute") and _ACTING["attribute"]:
        raise ImproperlyConfigured(
            f"{cls.__qualname__}: orders are attributed by {type(_ACTING['attribute'][0]).__qualname__} already"
        )
    _EXTENSIONS.append(extension)
    for method in METHODS:
        if overrides(extension, method):
            _ACTING[method].append(extension)
    names = {a.name for a in _ADJUSTERS}
    for adjuster in extension.price_adjusters():
        if adjuster.name in names:
            raise ImproperlyConfigured(f"two price adjusters are named {adjuster.name!r}")
        _ADJUSTERS.append(adjuster)
    _ADJUSTERS.sort(key=lambda a: a.position)


@contextmanager
def registered_first(extension: OrderExtension) -> Iterator[None]:
    """For tests: ``extension`` acts before every registered one while the block runs (no twin
    check; price adjusters are not added)."""
    added = [method for method in METHODS if overrides(extension, method)]
    for method in added:
        _ACTING[method].insert(0, extension)
    try:
        yield
    finally:
        for method in added:
            _ACTING[method].remove(extension)


def registered() -> list[OrderExtension]:
    return list(_EXTENSIONS)


def acting(method: str) -> list[OrderExtension]:
    """The registered extensions that implement ``method``, in registration order."""
    return list(_ACTING[method])


# -- what trade calls -------------------------------------------------------------------------


def attributed(*, brand_id: int, consumer, distributor_id: int) -> None:
    for extension in _ACTING["on_attributed"]:
        extension.on_attributed(brand_id=brand_id, consumer=consumer, distributor_id=distributor_id)


def price_adjusters() -> list[PriceAdjuster]:
    """Every registered pricing step, lowest position first."""
    return list(_ADJUSTERS)


def attribute(*, consumer, brand) -> Attribution:
    for extension in _ACTING["attribute"]:
        found = extension.attribute(consumer=consumer, brand=brand)
        if found is not None:
            return found
    return Attribution()


def visitor_unit_prices(request: HttpRequest, product) -> dict[int, int]:
    prices: dict[int, int] = {}
    for extension in _ACTING["visitor_unit_prices"]:
        prices.update(extension.visitor_unit_prices(request, product))
    return prices


def placed(order: Order, priced_order: PricedOrder) -> None:
    for extension in _ACTING["on_placed"]:
        extension.on_placed(order, priced_order)


def paid(order: Order) -> None:
    for extension in _ACTING["on_paid"]:
        extension.on_paid(order)


def ship_blockers(orders: Iterable[Order]) -> dict[int, str]:
    """{order id: the first reason} for the blocked ones of ``orders``: each extension in turn is
    asked about the orders no earlier one blocked (a whole console page in one call each)."""
    return first_reasons([ext.ship_blockers for ext in _ACTING["ship_blockers"]], list(orders))


def ship_blocker(order: Order) -> str | None:
    """The first reason ``order`` may not ship yet, or None."""
    return ship_blockers([order]).get(order.pk)


def first_reasons(checks: Sequence[Callable], orders: list) -> dict[int, str]:
    """{order id: the first reason} of the blocked ``orders``, asking each check (fn(orders) ->
    {order id: reason or None}) in turn about the orders no earlier check blocked."""
    reasons: dict[int, str] = {}
    for check in checks:
        open_orders = [o for o in orders if o.pk not in reasons]
        if not open_orders:
            break
        reasons.update({pk: str(reason) for pk, reason in check(open_orders).items() if reason})
    return reasons


def units_held(order: Order) -> dict[int, int]:
    """{line id: units refunded (and restocked) before shipping}, from every extension."""
    return _merged("units_not_to_ship", order)


def shipped(order: Order, shipment: Shipment) -> None:
    for extension in _ACTING["on_shipped"]:
        extension.on_shipped(order, shipment)


def received(order: Order) -> None:
    for extension in _ACTING["on_received"]:
        extension.on_received(order)


def settlement_delay(order: Order) -> timedelta:
    return max((ext.settlement_delay(order) for ext in _ACTING["settlement_delay"]), default=timedelta(0))


def settlement_delays_sql() -> list[DelaySQL]:
    return [ext.settlement_delay_sql() for ext in _ACTING["settlement_delay_sql"]]


def settlement_commissions(order: Order) -> dict[int, int]:
    """{user id: fen} of commission the order's settlement makes available (zeros left out)."""
    return {k: v for k, v in _merged("settlement_commissions", order).items() if v}


def settlement_commissions_sql(table: str) -> list[tuple[str, list]]:
    return [ext.settlement_commissions_sql(table) for ext in _ACTING["settlement_commissions_sql"]]


def settled(order: Order) -> None:
    for extension in _ACTING["on_settled"]:
        extension.on_settled(order)


def settled_batch(batch: SettledBatch) -> None:
    for extension in _ACTING["on_settled_batch"]:
        extension.on_settled_batch(batch)


def refund_before_settlement(order: Order, amount: int) -> None:
    for extension in _ACTING["refund_before_settlement"]:
        extension.refund_before_settlement(order, amount)


def clawback(order: Order, parts: dict[int, int]) -> None:
    for extension in _ACTING["clawback"]:
        extension.clawback(order, parts)


def refunded(order: Order, amount: int) -> None:
    for extension in _ACTING["on_refunded"]:
        extension.on_refunded(order, amount)


def cancelled(order: Order) -> None:
    for extension in _ACTING["on_cancelled"]:
        extension.on_cancelled(order)


def _merged(method: str, order: Order) -> dict[int, int]:
    merged: dict[int, int] = {}
    for extension in _ACTING[method]:
        for key, amount in getattr(extension, method)(order).items():
            merged[key] = merged.get(key, 0) + amount
    return merged


# -- the life of an order, from the registrations ---------------------------------------------

#: the function that calls the extensions at each step
CALLERS = {
    "attributed": "distribution.share_links.record_visit / distribution.binding.bind",
    "priced": "trade.checkout.price_for",
    "placed": "trade.checkout.place_order",
    "paid": "trade.payment_handlers.CheckoutPayments.on_succeeded",
    "shipped": "trade.fulfilment.ship",
    "received": "trade.fulfilment.confirm_receipt / auto_confirm",
    "settled": "trade.fulfilment.settle / trade.settlement.settle_batch",
    "refunded": "trade.refunds.on_refund_succeeded",
    "cancelled": "trade.orders.cancel_order / close_if_refunded_in_full",
}


def _where(extension: OrderExtension, method: str) -> str:
    """The module and function that act: the method itself, or the function an extension
    assigned to it (``on_paid = staticmethod(commission.record_commissions)``)."""
    fn = inspect.unwrap(getattr(type(extension), method))
    if method == "price_adjusters":
        return ", ".join(f"`{_name(a.adjust)}` ({a.name}, {a.position})" for a in extension.price_adjusters())
    return f"`{_name(fn)}`"


def _name(fn: Callable) -> str:
    fn = inspect.unwrap(fn)
    return f"{fn.__module__.removeprefix('fenxiao.')}.{fn.__qualname__}"


def life_of_an_order() -> str:
    """The "Life of an order" table of docs/architecture.md, from the registered extensions: at
    each step, the function that calls the extensions and, per app, the function that acts (a
    test keeps the document equal to this; ``manage.py life_of_an_order --write`` rewrites it)."""
    apps = list(_EXTENSIONS)
    header = ["step", "called by", *[_app_label(ext) for ext in apps]]
    rows = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for step, methods in STEPS.items():
        cells = [step, f"`{CALLERS[step]}`"]
        for ext in apps:
            acts = [_where(ext, m) for m in methods if overrides(ext, m)]
            cells.append("<br>".join(acts) or "—")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def _app_label(extension: OrderExtension) -> str:
    return inspect.getmodule(type(extension)).__name__.split(".")[1]
