"""The worker: claims due jobs, runs timers.  Safe to run many at once.

On PostgreSQL a job is claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so workers never wait
on each other and never take the same job.  On SQLite every transaction begins ``IMMEDIATE``
(see settings), so claims are serialised by the database's single write lock.

A claimed job holds a lease (``locked_until``).  A worker killed mid-job leaves the job
``running`` with an expired lease; any worker then claims it again.  Because a job's own writes
commit together with its ``done`` mark, work that had not committed is simply redone.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q

from . import clock
from .jobs import backoff
from .models import Job, JobStatus, TimerState
from .registry import JOBS, TIMERS

log = logging.getLogger("fenxiao.worker")
LEASE = timedelta(minutes=5)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due_jobs():
    now = clock.now()
    earlier_pending = Job.objects.filter(
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    ).exclude(ordering_key="")
    return (
        Job.objects.filter(
            Q(status=JobStatus.QUEUED, run_at__lte=now) | Q(status=JobStatus.RUNNING, locked_until__lt=now)
        )
        .exclude(Exists(earlier_pending))
        .order_by("run_at", "id")
    )


def claim_job(owner: str) -> Job | None:
    with transaction.atomic():
        query = _due_jobs()
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        job = query.first()
        if job is None:
            return None
        job.status = JobStatus.RUNNING
        job.locked_by = owner
        job.locked_until = clock.now() + LEASE
        job.attempts += 1
        job.save(update_fields=["status", "locked_by", "locked_until", "attempts"])
        return job


def run_job(job: Job, owner: str) -> bool:
    """Run a claimed job; True when it succeeded."""
    spec = JOBS.get(job.name)
    try:
        if spec is None:
            raise LookupError(f"no handler registered for job {job.name!r}")
        if not spec.atomic:
            spec.fn(job.payload)
        with transaction.atomic():
            # Only the lease holder may complete the job (a lease that expired may have been re-claimed).
            still_ours = (
                Job.objects.select_for_update()
                .filter(pk=job.pk, locked_by=owner, status=JobStatus.RUNNING)
                .exists()
            )
            if not still_ours:
                return False
            if spec.atomic:
                spec.fn(job.payload)
            Job.objects.filter(pk=job.pk).update(
                status=JobStatus.DONE, finished_at=clock.now(), last_error="", locked_until=None
            )
        return True
    except Exception:  # noqa: BLE001 — any failure of a handler is recorded and retried
        error = traceback.format_exc(limit=20)
        log.warning(
            "job %s#%s failed (attempt %s): %s", job.name, job.pk, job.attempts, error.splitlines()[-1]
        )
        with transaction.atomic():
            if job.attempts >= job.max_attempts:
                Job.objects.filter(pk=job.pk, locked_by=owner).update(
                    status=JobStatus.DEAD, last_error=error, finished_at=clock.now(), locked_until=None
                )
            else:
                Job.objects.filter(pk=job.pk, locked_by=owner).update(
                    status=JobStatus.QUEUED,
                    last_error=error,
                    run_at=clock.now() + backoff(job.attempts),
                    locked_until=None,
                )
        return False


def run_due_timers(owner: str) -> int:
    """Run each registered timer that is due; a timer runs once per period across all workers."""
    ran = 0
    for name, spec in list(TIMERS.items()):
        now = clock.now()
        TimerState.objects.get_or_create(name=name, defaults={"next_run_at": now})
        with transaction.atomic():
            claimed = TimerState.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + spec.every, last_run_at=now, last_run_by=owner
            )
        if not claimed:
            continue
        try:
            with transaction.atomic():
                spec.fn()
                TimerState.objects.filter(name=name).update(runs=F("runs") + 1)
            ran += 1
        except Exception:  # noqa: BLE001
            log.exception("timer %s failed; it runs again next period", name)
    return ran


def run_pending(max_jobs: int | None = None, *, owner: str | None = None, timers: bool = True) -> int:
    """Run everything due now in this process (tests and ``run_worker --once``).  Returns the
    number of jobs run."""
    owner = owner or worker_id()
    if timers:
        run_due_timers(owner)
    count = 0
    while max_jobs is None or count < max_jobs:
        job = claim_job(owner)
        if job is None:
            break
        run_job(job, owner)
        count += 1
    return count


def queue_depth() -> dict[str, int]:
    now = clock.now()
    return {
        "due": Job.objects.filter(status=JobStatus.QUEUED, run_at__lte=now).count(),
        "scheduled": Job.objects.filter(status=JobStatus.QUEUED, run_at__gt=now).count(),
        "running": Job.objects.filter(status=JobStatus.RUNNING).count(),
        "dead": Job.objects.filter(status=JobStatus.DEAD).count(),
    }
