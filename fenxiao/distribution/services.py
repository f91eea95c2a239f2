"""The distribution app's writes, for the other apps and the pages, by topic:

- ``programs`` — program settings, opening a store, applying, deciding, levels of a program;
- ``store_prices`` — picking goods at a price inside the band;
- ``share_links`` — share links and their visits;
- ``binding`` — binding customers to distributors;
- ``levels`` — settled sales and the move up a level;
- ``withdrawals`` — wallet withdrawals (its own module, used directly).

Each function is one transaction; times come from ``fenxiao.core.clock``.  The commission rule is
``commission``; the order's life reaches this app only through ``order_extension``.
"""

from __future__ import annotations

from .binding import bind
from .levels import settled_sales, upgrade_level
from .programs import (
    PROGRAM_FIELDS,
    add_level,
    apply_to_brand,
    become_distributor,
    decide_membership,
    is_active_distributor,
    program_for,
    update_program,
)
from .share_links import record_visit, share_link
from .store_prices import clamp_store_prices_for_sku, pick_product, set_store_price

__all__ = [
    "PROGRAM_FIELDS",
    "add_level",
    "apply_to_brand",
    "become_distributor",
    "bind",
    "clamp_store_prices_for_sku",
    "decide_membership",
    "is_active_distributor",
    "pick_product",
    "program_for",
    "record_visit",
    "set_store_price",
    "settled_sales",
    "share_link",
    "update_program",
    "upgrade_level",
]
