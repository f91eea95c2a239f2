"""The platform's clock.  Everything that asks "what time is it" for a business rule (timers,
binding validity, freeze days) calls :func:`now`, so tests and demos can move time forward.

The offset is kept in the process and, when ``FENXIAO_CLOCK_OFFSET_SECONDS`` is set, read from
the environment at import (so a worker process can be started "in the future").
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta(seconds=float(os.environ.get("FENXIAO_CLOCK_OFFSET_SECONDS", "0") or 0))


def now() -> datetime:
    return timezone.now() + _offset


def advance(delta: timedelta) -> None:
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)
