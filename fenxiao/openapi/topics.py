"""Events a webhook may subscribe to (each carries ``brand_id`` in its outbox payload)."""

from __future__ import annotations

TOPICS: tuple[str, ...] = (
    "order.created",
    "order.paid",
    "order.shipped",
    "order.completed",
    "order.cancelled",
    "order.refunded",
    "aftersale.created",
    "aftersale.resolved",
    "member.created",
    "commission.available",
    "withdrawal.paid",
    "stock.low",
)
