"""``stock.low``: published (in the caller's transaction) when a SKU's stock falls from at least
``FENXIAO_STOCK_LOW_THRESHOLD`` (default 5) to below it — once per crossing, not on every sale."""

from __future__ import annotations

from django.conf import settings

from fenxiao.core.events import publish


def threshold() -> int:
    return int(getattr(settings, "FENXIAO_STOCK_LOW_THRESHOLD", 5))


def stock_changed(*, sku_id: int, product_id: int, brand_id: int, before: int, after: int) -> None:
    limit = threshold()
    if before >= limit > after:
        publish(
            "stock.low",
            {
                "sku_id": sku_id,
                "product_id": product_id,
                "brand_id": brand_id,
                "stock": after,
                "threshold": limit,
            },
            aggregate=f"sku:{sku_id}",
        )
