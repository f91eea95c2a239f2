"""A short-lived cache for hot public reads: data every visitor of a page sees alike (a product's
catalogue data, its offers), read on every view and changed rarely.

Entries live in Django's cache (``CACHES``, per process by default) for at most
``settings.HOT_CACHE_SECONDS``.  Keys carry a time bucket of :mod:`fenxiao.core.clock`, so an
entry never outlives its bucket, and a test that moves the clock sees fresh data.  Writers call
:func:`forget` (the catalogue and marketing apps do it from ``post_save`` / ``post_delete``), which
clears the entry at once in this process; other processes notice within the bound.  What a
visitor pays is never read from here: checkout prices and reserves from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from . import clock

T = TypeVar("T")
_MISSING = object()


def _seconds() -> int:
    return int(getattr(settings, "HOT_CACHE_SECONDS", 0))


def _key(namespace: str, ident: object, seconds: int) -> str:
    bucket = int(clock.now().timestamp()) // seconds
    return f"hot:{namespace}:{ident}:{bucket}"


def cached(namespace: str, ident: object, compute: Callable[[], T]) -> T:
    """``compute()``'s value, shared for up to HOT_CACHE_SECONDS (``None`` is cached too)."""
    seconds = _seconds()
    if seconds <= 0:
        return compute()
    key = _key(namespace, ident, seconds)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, seconds)
    return value


def peek(namespace: str, ident: object) -> object | None:
    """The current entry, or ``None`` (for values computed only when found: see :func:`keep`)."""
    seconds = _seconds()
    return cache.get(_key(namespace, ident, seconds)) if seconds > 0 else None


def keep(namespace: str, ident: object, value: object) -> None:
    """Share ``value`` for up to HOT_CACHE_SECONDS (the other half of :func:`peek`)."""
    seconds = _seconds()
    if seconds > 0:
        cache.set(_key(namespace, ident, seconds), value, seconds)


def forget(namespace: str, ident: object) -> None:
    """Drop the current entry (call it after a change the next reader must see)."""
    seconds = _seconds()
    if seconds > 0:
        cache.delete(_key(namespace, ident, seconds))
