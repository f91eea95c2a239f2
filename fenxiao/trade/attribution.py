"""Who an order is attributed to.  The distribution app (issue 4) supplies the real rules by
registering a resolver; without one, orders carry no distributor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attribution:
    distributor: object | None = None
    inviter: object | None = None
    unit_prices: Mapping[int, int] = field(default_factory=dict)  # sku id → the distributor's store price


_resolver: Callable[..., Attribution] | None = None


def register_resolver(fn: Callable[..., Attribution]) -> None:
    global _resolver
    _resolver = fn


def attribution_for(*, consumer, brand) -> Attribution:
    return _resolver(consumer=consumer, brand=brand) if _resolver else Attribution()
