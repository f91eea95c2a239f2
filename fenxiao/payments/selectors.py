"""Reads of the payments app (the reconciliation pages)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ReconciliationBreak, ReconciliationRun


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.order_by("-bill_date", "-id")


def reconciliation_breaks(
    *, run_id: int | None = None, open_only: bool = True
) -> QuerySet[ReconciliationBreak]:
    breaks = ReconciliationBreak.objects.select_related("run", "resolved_by").order_by(
        "-run__bill_date", "id"
    )
    if run_id is not None:
        breaks = breaks.filter(run_id=run_id)
    if open_only:
        breaks = breaks.filter(resolved_at__isnull=True)
    return breaks
