from __future__ import annotations

from datetime import date, timedelta

from fenxiao.ledger.models import BrandStatement

ZERO = (
    "opening",
    "gross",
    "platform_fee",
    "commission",
    "settled",
    "refunds",
    "adjustments",
    "payouts",
    "closing",
)


def statement(
    brand, *, start: date = date(2026, 3, 1), line_count: int = 0, **amounts: int
) -> BrandStatement:
    """A stored daily statement; every amount not given is 0 (the database checks it adds up)."""
    values = {name: amounts.get(name, 0) for name in ZERO}
    return BrandStatement.objects.create(
        brand=brand,
        cycle="daily",
        period_start=start,
        period_end=start + timedelta(days=1),
        line_count=line_count,
        **values,
    )
