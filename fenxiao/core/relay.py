"""The relay: hands due outbox entries and timers to the Tasks framework, and runs them.

- :func:`relay_once` claims due timers (one per period across all workers: a conditional UPDATE
  of ``TimerState``, whose period's entry is written in the same transaction) and due entries
  (``run_at`` passed, no earlier entry of the same ``ordering_key`` still pending), marks them
  ``running`` under a lease and enqueues each one's task on the configured backend.  On
  PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``, so relays never wait on each other; on
  SQLite claims are serialised by the database's single write lock.
- :func:`run_entry` is what every task runs: it checks that its hand-over is still the current
  one (``attempts`` is the token), runs the handler and marks the entry done in one transaction
  (atomic jobs), or records the failure and schedules the retry.
- A worker killed mid-task leaves its entry ``running`` with a lease that ends; the next relay
  hands it over again.  Work that had not committed is redone; an atomic job that had committed
  is found done and not run again.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q

from . import clock
from .jobs import QUEUES, backoff, enqueue
from .models import EntryStatus, OutboxEntry, TimerState
from .registry import JOBS, TIMERS

log = logging.getLogger("fenxiao.worker")
LEASE = timedelta(seconds=float(os.environ.get("FENXIAO_TASK_LEASE_SECONDS", "300")))
BATCH = 100


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due_entries():
    now = clock.now()
    earlier_pending = OutboxEntry.objects.filter(
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        status__in=[EntryStatus.QUEUED, EntryStatus.RUNNING],
    ).exclude(ordering_key="")
    return (
        OutboxEntry.objects.filter(
            Q(status=EntryStatus.QUEUED, run_at__lte=now)
            | Q(status=EntryStatus.RUNNING, locked_until__lt=now)
        )
        .exclude(Exists(earlier_pending))
        .order_by("-priority", "run_at", "id")
    )


def claim_timers(owner: str) -> int:
    """Write the entry of each timer whose period is due; one per period across all workers."""
    claimed = 0
    for name, spec in list(TIMERS.items()):
        now = clock.now()
        TimerState.objects.get_or_create(name=name, defaults={"next_run_at": now})
        with transaction.atomic():
            if TimerState.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + spec.every, last_run_at=now, last_run_by=owner
            ):
                enqueue(name, {"period": now.isoformat()}, unique_key=f"timer:{name}")
                claimed += 1
    return claimed


def claim_due(
    owner: str, limit: int = BATCH, *, names: list[str] | None = None, ordering_key: str | None = None
) -> list[OutboxEntry]:
    """Mark up to ``limit`` due entries (of the jobs ``names``, of one ``ordering_key``: all when
    None) ``running`` under a lease for ``owner``."""
    with transaction.atomic():
        query = _due_entries()
        if names is not None:
            query = query.filter(name__in=names)
        if ordering_key is not None:
            query = query.filter(ordering_key=ordering_key)
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        entries = list(query[:limit])
        if not entries:
            return []
        now = clock.now()
        OutboxEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            status=EntryStatus.RUNNING, locked_by=owner, locked_until=now + LEASE, attempts=F("attempts") + 1
        )
    for entry in entries:
        entry.attempts += 1
    return entries


def dispatch(entries: list[OutboxEntry]) -> int:
    """Enqueue each claimed entry's task on the task backend; returns how many were enqueued.
    One that cannot be enqueued (the backend is down) is handed over again when its lease ends."""
    from django_tasks import default_task_backend

    sent = 0
    for entry in entries:
        spec = JOBS.get(entry.name)
        if spec is None:
            _failed(entry, f"LookupError: no handler registered for job {entry.name!r}", final=True)
            continue
        task = spec.task
        if entry.queue != task.queue_name and entry.queue in QUEUES:
            task = task.using(queue_name=entry.queue)
            if default_task_backend.supports_priority:
                task = task.using(priority=QUEUES[entry.queue])
        try:
            task.enqueue(entry.pk, entry.attempts)
            sent += 1
        except Exception:  # noqa: BLE001 — the lease brings it back
            log.exception("could not enqueue %s#%s; retried when its lease ends", entry.name, entry.pk)
    return sent


def relay_once(owner: str | None = None, *, timers: bool = True, limit: int = BATCH) -> int:
    """Claim due timers and up to ``limit`` due entries and enqueue them; how many were enqueued."""
    owner = owner or worker_id()
    if timers:
        claim_timers(owner)
    return dispatch(claim_due(owner, limit))


def _failed(entry: OutboxEntry, error: str, *, final: bool = False) -> None:
    now = clock.now()
    mine = OutboxEntry.objects.filter(pk=entry.pk, attempts=entry.attempts)
    with transaction.atomic():
        if final or entry.attempts >= entry.max_attempts:
            mine.update(status=EntryStatus.DEAD, last_error=error, finished_at=now, locked_until=None)
        else:
            mine.update(
                status=EntryStatus.QUEUED,
                last_error=error,
                run_at=now + backoff(entry.attempts),
                locked_until=None,
            )
        if entry.name in TIMERS:
            TimerState.objects.filter(name=entry.name).update(last_error=error, failed_at=now)


def run_entry(entry_id: int, token: int) -> bool:
    """Run one handed-over entry (what every task runs); True when it succeeded.  A stale
    hand-over (the entry was handed over again, or is done) does nothing."""
    now = clock.now()
    current = OutboxEntry.objects.filter(pk=entry_id, attempts=token, status=EntryStatus.RUNNING)
    if not current.update(started_at=now, locked_by=worker_id()[:100], locked_until=now + LEASE):
        return False
    entry = OutboxEntry.objects.get(pk=entry_id)
    spec = JOBS.get(entry.name)
    try:
        if spec is None:
            raise LookupError(f"no handler registered for job {entry.name!r}")
        if not spec.atomic:
            spec.fn(entry.payload)
        with transaction.atomic():
            # Only the current hand-over may complete it (an ended lease may have been handed over again).
            if not current.select_for_update().exists():
                return False
            if spec.atomic:
                spec.fn(entry.payload)
            if entry.name in TIMERS:
                TimerState.objects.filter(name=entry.name).update(runs=F("runs") + 1)
            current.update(status=EntryStatus.DONE, finished_at=clock.now(), last_error="", locked_until=None)
    except Exception:  # noqa: BLE001 — any failure of a handler is recorded and retried
        error = traceback.format_exc(limit=20)
        log.warning("job %s#%s failed (attempt %s): %s", entry.name, entry.pk, token, error.splitlines()[-1])
        _failed(entry, error)
        return False
    if entry.ordering_key:
        # The next entry of this aggregate now, not at the next relay pass.
        try:
            dispatch(claim_due(worker_id(), 1, ordering_key=entry.ordering_key))
        except Exception:  # noqa: BLE001 — the relay hands it over anyway
            log.exception("could not hand over the entry after %s#%s", entry.name, entry.pk)
    return True


def run_backend_tasks(owner: str, limit: int | None = None) -> int:
    """Run the tasks waiting in the task backend, in this process; how many ran.  The database
    backend's rows are claimed as its ``db_worker`` claims them; RQ runs a burst of a
    ``SimpleWorker``; the immediate backend already ran them at enqueue."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    default_task_backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    backend = type(default_task_backend).__name__
    if backend == "DatabaseBackend":
        from django_tasks_db.management.commands.db_worker import Worker
        from django_tasks_db.models import DBTaskResult
        from django_tasks_db.utils import exclusive_transaction

        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name=default_task_backend.alias,
            startup_delay=False,
            max_tasks=None,
            worker_id=owner[:64],
            excluded_queue_names=[],
        )
        ran = 0
        ready = DBTaskResult.objects.ready().filter(backend_name=default_task_backend.alias)
        while limit is None or ran < limit:
            with exclusive_transaction(ready.db):
                result = ready.get_locked()
                if result is None:
                    break
                result.claim(worker.worker_id)
            worker.run_task(result)
            ran += 1
        return ran
    if backend == "RQBackend":
        worker = rq_worker(signals=False)
        worker.work(burst=True, max_jobs=limit, with_scheduler=False, logging_level="WARNING")
        return worker.successful_job_count + worker.failed_job_count
    return 0


def rq_worker(*, signals: bool = True, **options):
    """An RQ worker on every queue, highest priority first, running tasks in its own process
    (``SimpleWorker``: no fork, so no database connection shared with a child).  Without
    ``signals`` it leaves the caller's SIGTERM/SIGINT handlers alone."""
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        def _install_signal_handlers(self) -> None:
            if signals:
                super()._install_signal_handlers()

    return django_rq.get_worker(*QUEUES, job_class=Job, worker_class=Worker, **options)


def backend_name() -> str:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    return type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__


def run_pending(max_jobs: int | None = None, *, owner: str | None = None, timers: bool = True) -> int:
    """Relay and run everything due now, in this process; the number of job entries handed over
    (timers' runs not counted, as before)."""
    owner = owner or worker_id()
    if timers and claim_timers(owner):
        # The timers first, as the old worker ran them before the jobs.
        while entries := claim_due(owner, names=list(TIMERS)):
            dispatch(entries)
            run_backend_tasks(owner)
    count = 0
    while max_jobs is None or count < max_jobs:
        limit = BATCH if max_jobs is None else min(BATCH, max_jobs - count)
        entries = claim_due(owner, limit)
        if not entries:
            break
        dispatch(entries)
        run_backend_tasks(owner)
        count += sum(1 for entry in entries if entry.name not in TIMERS)
    return count


def queue_stats() -> dict[str, dict[str, float]]:
    """Per queue: entries due now (``depth``), age in seconds of the oldest due one (``age``),
    ``running`` and ``dead``."""
    now = clock.now()
    stats = {queue: {"depth": 0, "age": 0.0, "running": 0, "dead": 0} for queue in QUEUES}
    due = OutboxEntry.objects.filter(status=EntryStatus.QUEUED, run_at__lte=now)
    from django.db.models import Count, Min

    for row in due.values("queue").annotate(n=Count("id"), oldest=Min("run_at")).order_by():
        stat = stats.setdefault(row["queue"], {"depth": 0, "age": 0.0, "running": 0, "dead": 0})
        stat["depth"] = row["n"]
        stat["age"] = max(0.0, (now - row["oldest"]).total_seconds())
    for status in (EntryStatus.RUNNING, EntryStatus.DEAD):
        rows = OutboxEntry.objects.filter(status=status).values("queue").annotate(n=Count("id")).order_by()
        for row in rows:
            stats.setdefault(row["queue"], {"depth": 0, "age": 0.0, "running": 0, "dead": 0})[status] = row[
                "n"
            ]
    return stats


def retry(entry_id: int) -> bool:
    """Queue a dead entry again, now, with its attempts counted from zero (False when it is not
    dead, or a timer's next period is already pending)."""
    try:
        with transaction.atomic():
            return bool(
                OutboxEntry.objects.filter(pk=entry_id, status=EntryStatus.DEAD).update(
                    status=EntryStatus.QUEUED,
                    run_at=clock.now(),
                    attempts=0,
                    locked_until=None,
                    finished_at=None,
                )
            )
    except IntegrityError:
        return False
