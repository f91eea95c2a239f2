"""Which price a visitor sees on the product page.  The catalog knows only retail prices; other
apps (distribution: a distributor's store price for customers who came through its link)
register a source here.  Checkout prices the same way (``trade.checkout.price_for``), so what
the page shows is what the order charges."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from django.http import HttpRequest

PRICE_SOURCES: list[Callable[[HttpRequest, object], Mapping[int, int]]] = []


def register_price_source(fn: Callable[[HttpRequest, object], Mapping[int, int]]) -> None:
    if fn not in PRICE_SOURCES:
        PRICE_SOURCES.append(fn)


def with_visitor_prices(request: HttpRequest, detail):
    prices: dict[int, int] = {}
    for source in PRICE_SOURCES:
        prices.update(source(request, detail.product))
    own = {sku.pk for sku in detail.skus}
    prices = {k: v for k, v in prices.items() if k in own}
    return dataclasses.replace(detail, unit_prices=prices) if prices else detail
