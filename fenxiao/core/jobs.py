"""Jobs and timers.

    @job("payments.deliver_notification", max_attempts=10)
    def deliver(payload: dict) -> None: ...

    enqueue("payments.deliver_notification", {"id": 1})   # in the caller's transaction

    @periodic("trade.close_unpaid_orders", every=timedelta(seconds=30))
    def close_unpaid() -> None: ...

A job runs in its own transaction together with marking it done, so its writes and its
completion commit together.  A failure is retried with exponential back-off (2, 4, 8 … s, at
most an hour) until ``max_attempts``, then the job is ``dead`` with its last error kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from . import clock
from .models import Job, JobStatus
from .registry import JOBS, TIMERS, JobSpec, TimerSpec


def job(name: str, *, max_attempts: int = 10, atomic: bool = True) -> Callable:
    """Register a job handler.  ``atomic=False`` runs it outside a transaction — for network calls
    (HTTP deliveries), which must not hold database locks while they wait; such a job is
    at-least-once, so its receiver must be idempotent."""

    def register(fn: Callable[[dict], None]) -> Callable[[dict], None]:
        JOBS[name] = JobSpec(name, fn, max_attempts, atomic)
        return fn

    return register


def periodic(name: str, *, every: timedelta) -> Callable:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        TIMERS[name] = TimerSpec(name, fn, every)
        return fn

    return register


def enqueue(
    name: str,
    payload: dict | None = None,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    ordering_key: str = "",
) -> Job | None:
    """Write a job in the current transaction.  With ``unique_key``, a second enqueue while the
    first is still queued or running is a no-op (returns the pending job)."""
    spec = JOBS.get(name)
    if spec is None:
        raise LookupError(f"no job handler registered as {name!r}")
    if unique_key:
        pending = Job.objects.filter(
            unique_key=unique_key, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).first()
        if pending:
            return pending
    fields = {
        "name": name,
        "payload": payload or {},
        "run_at": run_at or clock.now(),
        "max_attempts": spec.max_attempts,
        "unique_key": unique_key,
        "ordering_key": ordering_key,
    }
    if not unique_key:
        return Job.objects.create(**fields)
    try:
        with transaction.atomic():
            return Job.objects.create(**fields)
    except IntegrityError:
        return Job.objects.filter(
            unique_key=unique_key, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).first()


def enqueue_many(name: str, jobs: Iterable[tuple[dict, str]], *, run_at: datetime | None = None) -> list[Job]:
    """:func:`enqueue` for many ``(payload, ordering_key)`` at once, one bulk insert (no
    ``unique_key``)."""
    spec = JOBS.get(name)
    if spec is None:
        raise LookupError(f"no job handler registered as {name!r}")
    run_at = run_at or clock.now()
    return Job.objects.bulk_create(
        [
            Job(
                name=name,
                payload=payload,
                run_at=run_at,
                max_attempts=spec.max_attempts,
                unique_key=None,
                ordering_key=ordering_key,
            )
            for payload, ordering_key in jobs
        ],
        batch_size=1000,
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2**attempts))
