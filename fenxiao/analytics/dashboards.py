"""What a dashboard shows: headline numbers with the previous period, charts and tables, all
read from the rollups through ``selectors``.  Views render it; exports write its tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fenxiao.core.money import format_yuan
from fenxiao.distribution import selectors as distribution_selectors

from . import charts, selectors
from .periods import DateRange
from .selectors import Scope

MONEY, INT, PCT, TEXT = "money", "int", "pct", "text"


@dataclass
class Table:
    name: str
    title: str
    columns: list[tuple[str, str]]  # (label, kind)
    rows: list[list] = field(default_factory=list)
    downloads: list[tuple[str, str]] = field(default_factory=list)

    @property
    def display(self) -> list[list[str]]:
        return [
            [show(v, kind) for v, (_label, kind) in zip(row, self.columns, strict=True)] for row in self.rows
        ]


def derived(s: dict) -> dict:
    """Ratios from a summary (basis points, or None when undefined)."""

    def ratio(a: int, b: int) -> int | None:
        return round(a * 10000 / b) if b else None

    return {
        **s,
        "aov": s["paid_amount"] // s["paid_orders"] if s["paid_orders"] else 0,
        "refund_rate": ratio(s["refund_amount"], s["paid_amount"]),
        "repeat_rate": ratio(s["repeat_customers"], s["paying_customers"]),
        "conversion": ratio(s["ordered_and_paid"], s["funnel_visitors"]),
    }


KPIS = [
    ("visits", gettext_lazy("Visits"), INT),
    ("unique_visitors", gettext_lazy("Unique visitors"), INT),
    ("shares", gettext_lazy("Shares"), INT),
    ("orders", gettext_lazy("Orders placed"), INT),
    ("gmv", gettext_lazy("GMV"), MONEY),
    ("paid_orders", gettext_lazy("Paid orders"), INT),
    ("paid_amount", gettext_lazy("Paid amount"), MONEY),
    ("paying_customers", gettext_lazy("Paying customers"), INT),
    ("aov", gettext_lazy("Average order value"), MONEY),
    ("refund_amount", gettext_lazy("Refunds"), MONEY),
    ("refund_rate", gettext_lazy("Refund rate"), PCT),
    ("repeat_rate", gettext_lazy("Repeat-purchase rate"), PCT),
    ("commission_earned", gettext_lazy("Commission earned"), MONEY),
    ("commission_paid", gettext_lazy("Commission paid out"), MONEY),
    ("new_members", gettext_lazy("New members"), INT),
]


def show(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == MONEY:
        return "¥" + format_yuan(int(value))
    if kind == PCT:
        return f"{value / 100:.2f}%"
    if kind == INT:
        return f"{int(value):,}"
    return str(value)


def _kpis(now: dict, before: dict, keys: set[str]) -> list[dict]:
    cards = []
    for key, label, kind in KPIS:
        if key not in keys:
            continue
        value, previous = now[key], before[key]
        change = None
        if value is not None and previous:
            change = round((value - previous) * 1000 / abs(previous)) / 10
        cards.append(
            {
                "key": key,
                "label": label,
                "value": show(value, kind),
                "previous": show(previous, kind),
                "change": change,
            }
        )
    return cards


def _period_table(points: list[tuple], grain: str) -> Table:
    table = Table(
        "periods",
        _("By %(grain)s") % {"grain": {"day": _("day"), "week": _("week"), "month": _("month")}[grain]},
        [
            (pgettext("analytics table", "Period"), TEXT),
            (_("Visits"), INT),
            (_("Shares"), INT),
            (_("Orders placed"), INT),
            (_("GMV"), MONEY),
            (_("Paid orders"), INT),
            (_("Paid amount"), MONEY),
            (_("Refunds"), MONEY),
            (_("Commission earned"), MONEY),
            (_("New members"), INT),
        ],
    )
    for start, c in points:
        table.rows.append(
            [
                start.isoformat(),
                c["visits"],
                c["shares"],
                c["orders"],
                c["gmv"],
                c["paid_orders"],
                c["paid_amount"],
                c["refund_amount"],
                c["commission_earned"],
                c["new_members"],
            ]
        )
    return table


DIM_TITLES = {
    "product": gettext_lazy("Top products"),
    "distributor": gettext_lazy("Top distributors"),
    "province": gettext_lazy("By province"),
    "channel": gettext_lazy("By channel"),
    "brand": gettext_lazy("By brand"),
}


def _dim_table(scope: Scope, period: DateRange, dim: str, limit: int | None) -> Table:
    from .labels import labels_for

    rows = selectors.top(scope, period, dim, limit)
    names = labels_for(dim, [r["key"] for r in rows])
    columns = [
        (pgettext("analytics table", "Name"), TEXT),
        (_("Paid orders"), INT),
        (_("Paid amount"), MONEY),
    ]
    if dim == "product":
        columns.append((_("Units"), INT))
    else:
        columns += [(_("Orders placed"), INT), (_("Refunds"), MONEY)]
    net: dict[str, int] = {}
    if dim in ("distributor", "brand"):
        columns += [(_("Visits"), INT), (_("Commission, net of refunds"), MONEY)]
        start, end = period.bounds()
        net = distribution_selectors.net_commissions(
            start=start, end=end, by=dim, brand_id=scope.brand_id, distributor_id=scope.distributor_id
        )
    table = Table(dim, str(DIM_TITLES[dim]), columns)
    for r in rows:
        row = [names.get(r["key"], r["key"]), r["paid_orders"], r["paid_amount"]]
        row += [r["units"]] if dim == "product" else [r["orders"], r["refund_amount"]]
        if dim in ("distributor", "brand"):
            row += [r["visits"], net.get(r["key"], 0)]
        table.rows.append(row)
    return table


def _customer_table(scope: Scope, period: DateRange, limit: int | None) -> Table:
    from .labels import labels_for

    rows = selectors.customers(scope, period, limit)
    names = labels_for("customer", [str(r["consumer_id"]) for r in rows])
    table = Table(
        "customers",
        _("My customers"),
        [
            (_("Customer"), TEXT),
            (_("Orders placed"), INT),
            (_("Paid orders"), INT),
            (_("Paid amount"), MONEY),
        ],
    )
    for r in rows:
        table.rows.append(
            [names.get(str(r["consumer_id"]), "—"), r["orders"], r["paid_orders"], r["paid_amount"]]
        )
    return table


TABLES = {
    "brand": ("periods", "product", "distributor", "province", "channel"),
    "distributor": ("periods", "brand", "customers"),
    "platform": ("periods", "brand", "channel", "province"),
}


def tables(kind: str, scope: Scope, period: DateRange, grain: str, *, limit: int | None = 10) -> list[Table]:
    result = []
    for name in TABLES[kind]:
        if name == "periods":
            result.append(_period_table(selectors.series(scope, period, grain), grain))
        elif name == "customers":
            result.append(_customer_table(scope, period, limit and 20))
        else:
            result.append(_dim_table(scope, period, name, limit))
    return result


def build(kind: str, scope: Scope, period: DateRange, grain: str) -> dict:
    now = derived(selectors.summary(scope, period))
    before = derived(selectors.summary(scope, period.previous()))
    keys = {k for k, _l, _k in KPIS}
    if kind == "distributor":
        keys -= {"new_members", "gmv"}
    points = selectors.series(scope, period, grain)
    previous_points = selectors.series(scope, period.previous(), grain)
    labels = [start.strftime("%m-%d") for start, _c in points]
    paid = [c["paid_amount"] for _s, c in points]
    old = [c["paid_amount"] for _s, c in previous_points][: len(paid)]
    money = lambda v: "¥" + format_yuan(int(v))  # noqa: E731
    context = {
        "kpis": _kpis(now, before, keys),
        "line": charts.line_chart(
            labels,
            [(_("Paid amount"), paid), (_("Previous period"), old)],
            title=_("Paid amount by %(grain)s")
            % {"grain": {"day": _("day"), "week": _("week"), "month": _("month")}[grain]},
            fmt=money,
        ),
        "funnel": charts.funnel_chart(
            [
                (_("Visitors (and customers who came without a link)"), now["funnel_visitors"]),
                (_("Customers who ordered"), now["ordering_customers"]),
                (_("Of them, paid"), now["ordered_and_paid"]),
            ],
            title=_("Conversion funnel"),
        ),
        "tables": tables(kind, scope, period, grain),
    }
    bar_table = next((t for t in context["tables"] if t.name in ("product", "brand")), None)
    if bar_table is not None:
        context["bar"] = charts.bar_chart(
            [(str(row[0]), row[2]) for row in bar_table.rows], title=bar_table.title, fmt=money
        )
        context["bar_title"] = bar_table.title
    return context
