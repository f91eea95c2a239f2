"""Per-app rate limit: a fixed one-minute window counted in the database (``RateWindow``), so
every web process shares one count.  Over the limit → 429 with ``Retry-After`` (seconds to the
next window)."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from fenxiao.core import clock

from .models import ApiApp, RateWindow

WINDOW = timedelta(minutes=1)


def hit(app: ApiApp) -> int | None:
    """Count one request; the seconds to wait when over the limit, else None."""
    now = clock.now()
    start = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        counted = RateWindow.objects.filter(app=app, window_start=start).update(count=F("count") + 1)
        if not counted:
            try:
                with transaction.atomic():
                    RateWindow.objects.create(app=app, window_start=start, count=1)
            except IntegrityError:
                RateWindow.objects.filter(app=app, window_start=start).update(count=F("count") + 1)
        count = RateWindow.objects.filter(app=app, window_start=start).values_list("count", flat=True).get()
    if count <= app.rate_limit_per_minute:
        return None
    return max(1, math.ceil((start + WINDOW - now).total_seconds()))


def prune(before_minutes: int = 10) -> int:
    return RateWindow.objects.filter(
        window_start__lt=clock.now() - timedelta(minutes=before_minutes)
    ).delete()[0]
