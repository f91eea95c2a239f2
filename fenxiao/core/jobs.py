"""Background work on Django's Tasks framework, with the thin layer the framework does not give.

    @job("payments.deliver_notification", max_attempts=10)
    def deliver(payload: dict) -> None: ...

    enqueue("payments.deliver_notification", {"id": 1})   # in the caller's transaction

    @periodic("trade.close_unpaid_orders", every=timedelta(seconds=30))
    def close_unpaid() -> None: ...

Every job and timer is a task of the Tasks framework (``django_tasks.task``; ``django.tasks`` from
Django 6.0): ``@job`` makes a ``Task`` named ``<function>_task`` beside the function, on the job's
queue (``QUEUES``: payments and notifications ahead of the default, analytics and exports).  What
the framework does not give stays here and in ``core.relay`` (docs/architecture.md says why):

- the transactional outbox: :func:`enqueue` writes an :class:`OutboxEntry` in the caller's
  transaction, so the work exists exactly when the business write committed; the relay hands
  due entries to the task backend (``task.enqueue``);
- ordering per aggregate (``ordering_key``: the next entry of a key is handed over only when the
  previous one is done);
- retries with back-off (2, 4, 8 … s, at most an hour) until ``max_attempts``, then ``dead`` with
  its error, listed at /platform/tasks/ with a retry button;
- leases: an entry handed to a worker that was killed is handed over again when its lease ends;
- timers once per period across any number of workers (``TimerState``, a conditional UPDATE).

An atomic job runs in one transaction with its entry's ``done`` mark, so its writes and its
completion commit together: run twice by two hand-overs, the second finds it done.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from . import clock
from .models import OutboxEntry
from .registry import JOBS, TIMERS, JobSpec, TimerSpec

# Queue -> priority (higher runs first); RQ workers listen to the queues in this order.
QUEUES: dict[str, int] = {"payments": 80, "notifications": 50, "default": 0, "analytics": -50, "exports": -80}
# Where a job goes when its decorator does not say (first matching prefix).
ROUTES: list[tuple[str, str]] = [
    ("payments.", "payments"),
    ("marketing.refund_group_order", "payments"),
    ("fenxiao.payments", "payments"),
    ("fenxiao.ledger", "payments"),
    ("openapi.", "notifications"),
    ("fenxiao.openapi", "notifications"),
    ("analytics.", "analytics"),
    ("fenxiao.analytics", "analytics"),
    ("crm.compute_rfm", "analytics"),
    ("ledger.generate_statements", "exports"),
]


def queue_for(name: str) -> str:
    """The queue of a job (or of an event subscriber's deliveries) by its name."""
    for prefix, queue in ROUTES:
        if name.startswith(prefix):
            return queue
    return "default"


def _make_task(fn: Callable, queue: str) -> object:
    """A Tasks-framework task that runs this job's outbox entries, importable as
    ``<fn's module>.<fn's name>_task`` (the path a worker of any backend imports)."""
    from django_tasks import default_task_backend, task

    def run(entry_id: int, token: int) -> None:
        from .relay import run_entry

        run_entry(entry_id, token)

    run.__module__ = fn.__module__
    run.__name__ = run.__qualname__ = f"{fn.__name__}_task"
    options: dict = {"queue_name": queue}
    if default_task_backend.supports_priority:
        options["priority"] = QUEUES[queue]
    made = task(**options)(run)
    setattr(sys.modules[fn.__module__], run.__name__, made)
    return made


def job(name: str, *, max_attempts: int = 10, atomic: bool = True, queue: str | None = None) -> Callable:
    """Register a job handler.  ``atomic=False`` runs it outside a transaction — for network calls
    (HTTP deliveries), which must not hold database locks while they wait; such a job is
    at-least-once, so its receiver must be idempotent."""

    def register(fn: Callable[[dict], None]) -> Callable[[dict], None]:
        chosen = queue or queue_for(name)
        JOBS[name] = JobSpec(name, fn, max_attempts, atomic, chosen, QUEUES[chosen], _make_task(fn, chosen))
        return fn

    return register


def periodic(name: str, *, every: timedelta, queue: str | None = None) -> Callable:
    """Register a timer: once per ``every`` across all workers, as an outbox entry (one attempt;
    a failure is listed at /platform/tasks/ and the timer runs again next period)."""

    def register(fn: Callable[[], None]) -> Callable[[], None]:
        TIMERS[name] = TimerSpec(name, fn, every)
        chosen = queue or queue_for(name)
        JOBS[name] = JobSpec(
            name, lambda payload: fn(), 1, True, chosen, QUEUES[chosen], _make_task(fn, chosen)
        )
        return fn

    return register


def enqueue(
    name: str,
    payload: dict | None = None,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    ordering_key: str = "",
    queue: str | None = None,
) -> OutboxEntry | None:
    """Write an outbox entry in the current transaction.  With ``unique_key``, a second enqueue
    while the first is still queued or running is a no-op (returns the pending entry)."""
    spec = JOBS.get(name)
    if spec is None:
        raise LookupError(f"no job handler registered as {name!r}")
    pending = OutboxEntry.objects.filter(unique_key=unique_key, status__in=["queued", "running"])
    if unique_key and (existing := pending.first()):
        return existing
    queue = queue or spec.queue
    fields = {
        "name": name,
        "payload": payload or {},
        "queue": queue,
        "priority": QUEUES[queue],
        "run_at": run_at or clock.now(),
        "max_attempts": spec.max_attempts,
        "unique_key": unique_key,
        "ordering_key": ordering_key,
    }
    if not unique_key:
        return OutboxEntry.objects.create(**fields)
    try:
        with transaction.atomic():
            return OutboxEntry.objects.create(**fields)
    except IntegrityError:
        return pending.first()


def enqueue_many(
    name: str, jobs: Iterable[tuple[dict, str] | tuple[dict, str, str]], *, run_at: datetime | None = None
) -> list[OutboxEntry]:
    """:func:`enqueue` for many ``(payload, ordering_key[, queue])`` at once, one bulk insert (no
    ``unique_key``)."""
    spec = JOBS.get(name)
    if spec is None:
        raise LookupError(f"no job handler registered as {name!r}")
    run_at = run_at or clock.now()
    rows = []
    for payload, ordering_key, *rest in jobs:
        queue = rest[0] if rest else spec.queue
        rows.append(
            OutboxEntry(
                name=name,
                payload=payload,
                queue=queue,
                priority=QUEUES[queue],
                run_at=run_at,
                max_attempts=spec.max_attempts,
                unique_key=None,
                ordering_key=ordering_key,
            )
        )
    return OutboxEntry.objects.bulk_create(rows, batch_size=1000)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2**attempts))


def run_pending(max_jobs: int | None = None, *, owner: str | None = None, timers: bool = True) -> int:
    """Run everything due now in this process (tests, ``run_worker --once``): timers, then the
    relay and the task backend's queue until nothing is due.  Returns the number of entries run."""
    from .relay import run_pending as run

    return run(max_jobs, owner=owner, timers=timers)


@periodic("core.prune_tasks", every=timedelta(hours=1), queue="exports")
def prune_tasks() -> None:
    """Delete finished work past keeping: done outbox entries after 7 days (dead ones stay until
    retried), the database backend's finished task results after a day."""
    from django.apps import apps

    now = clock.now()
    OutboxEntry.objects.filter(status="done", finished_at__lt=now - timedelta(days=7)).delete()
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.finished().filter(finished_at__lt=now - timedelta(days=1)).delete()
