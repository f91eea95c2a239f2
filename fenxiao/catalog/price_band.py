"""The price band rule: the brand sets a retail price and a band ``[price_min, price_max]`` per
SKU, ``0 < price_min <= retail_price <= price_max`` (the database's check constraints back it up);
a distributor may choose a store price only inside the band, and every order is priced inside
it whatever a caller asks for.

- :func:`check_band` — a band a brand enters (catalog services, import, REST API);
- :func:`check_choice` — a price a distributor chooses (``distribution`` store prices);
- :func:`clamp` — a price moved into the band (pricing of every order; store prices left outside
  a band the brand narrowed);
- :func:`outside` — the same test as a query condition on a ``price`` field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from fenxiao.core.money import format_yuan


def check_band(label: str, retail: int, price_min: int | None, price_max: int | None) -> tuple[int, int]:
    """The band to store, defaulting to the retail price; ValidationError naming the SKU if wrong."""
    price_min = retail if price_min is None else price_min
    price_max = retail if price_max is None else price_max
    problems = []
    if retail <= 0:
        problems.append(_("%(sku)s: the retail price must be above ¥0.00.") % {"sku": label})
    if price_min <= 0:
        problems.append(_("%(sku)s: the lowest distributor price must be above ¥0.00.") % {"sku": label})
    if price_min > retail:
        problems.append(
            _(
                "%(sku)s: the lowest distributor price ¥%(min)s must not be above the retail price ¥%(retail)s."
            )
            % {"sku": label, "min": format_yuan(price_min), "retail": format_yuan(retail)}
        )
    if price_max < retail:
        problems.append(
            _(
                "%(sku)s: the highest distributor price ¥%(max)s must not be below the retail price ¥%(retail)s."
            )
            % {"sku": label, "max": format_yuan(price_max), "retail": format_yuan(retail)}
        )
    if problems:
        raise ValidationError(problems)
    return price_min, price_max


def within(price: int, sku) -> bool:
    return sku.price_min <= price <= sku.price_max


def check_choice(price: int, sku) -> int:
    """A price a distributor chose for ``sku`` (product loaded): the price, or ValidationError."""
    if not within(price, sku):
        raise ValidationError(
            _("%(sku)s: choose a price between ¥%(min)s and ¥%(max)s.")
            % {
                "sku": f"{sku.product.title} {sku.spec_label}".strip(),
                "min": format_yuan(sku.price_min),
                "max": format_yuan(sku.price_max),
            }
        )
    return price


def clamp(price: int, sku) -> int:
    """``price`` moved into the SKU's band."""
    return min(max(price, sku.price_min), sku.price_max)


def outside(sku, field: str = "price") -> Q:
    """Rows whose ``field`` lies outside the SKU's band."""
    return Q(**{f"{field}__lt": sku.price_min}) | Q(**{f"{field}__gt": sku.price_max})
