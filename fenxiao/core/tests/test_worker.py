import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from fenxiao.core import clock
from fenxiao.core.events import publish, subscribe
from fenxiao.core.jobs import enqueue, job, periodic
from fenxiao.core.models import Job, JobStatus, TimerState
from fenxiao.core.registry import JOBS, SUBSCRIBERS, TIMERS
from fenxiao.core.worker import claim_job, run_due_timers, run_job, run_pending

CALLS: list = []


@job("tests.record", max_attempts=3)
def record(payload: dict) -> None:
    CALLS.append(payload["n"])


@job("tests.flaky", max_attempts=3)
def flaky(payload: dict) -> None:
    CALLS.append("try")
    if len(CALLS) < payload["fail_times"] + 1:
        raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()
    TIMERS.pop("tests.tick", None)
    SUBSCRIBERS.pop("tests.happened", None)


@pytest.mark.django_db
def test_job_written_in_rolled_back_transaction_does_not_exist():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("tests.record", {"n": 1})
        raise RuntimeError
    assert Job.objects.count() == 0
    assert run_pending() == 0 and CALLS == []


@pytest.mark.django_db
def test_enqueue_unknown_job_is_an_error():
    with pytest.raises(LookupError):
        enqueue("tests.nope")


@pytest.mark.django_db
def test_retry_with_backoff_then_success():
    enqueue("tests.flaky", {"fail_times": 1})
    run_pending()
    job_row = Job.objects.get()
    assert job_row.status == JobStatus.QUEUED and "boom" in job_row.last_error
    assert job_row.run_at > clock.now()
    assert run_pending() == 0  # not due yet
    clock.advance(timedelta(seconds=3))
    run_pending()
    job_row.refresh_from_db()
    assert job_row.status == JobStatus.DONE and CALLS == ["try", "try"]


@pytest.mark.django_db
def test_dead_after_max_attempts():
    enqueue("tests.flaky", {"fail_times": 99})
    for _ in range(5):
        run_pending()
        clock.advance(timedelta(hours=1))
    job_row = Job.objects.get()
    assert job_row.status == JobStatus.DEAD and job_row.attempts == 3


@pytest.mark.django_db
def test_unique_key_deduplicates_pending_jobs():
    first = enqueue("tests.record", {"n": 1}, unique_key="k")
    assert enqueue("tests.record", {"n": 2}, unique_key="k").pk == first.pk
    run_pending()
    assert CALLS == [1]
    enqueue("tests.record", {"n": 3}, unique_key="k")  # allowed again once the first is done
    run_pending()
    assert CALLS == [1, 3]


@pytest.mark.django_db
def test_worker_killed_mid_job_is_resumed_after_lease():
    enqueue("tests.record", {"n": 7})
    claimed = claim_job("dead-worker")  # claimed, then the process "dies"
    assert claimed is not None
    assert run_pending(owner="live-worker") == 0  # lease still held
    clock.advance(timedelta(minutes=6))
    assert run_pending(owner="live-worker") == 1
    assert CALLS == [7]
    assert run_job(claimed, "dead-worker") is False  # the late original cannot complete it again
    assert CALLS == [7]


@pytest.mark.django_db
def test_periodic_runs_once_per_period():
    periodic("tests.tick", every=timedelta(seconds=30))(lambda: CALLS.append("tick"))
    run_due_timers("a")
    run_due_timers("b")
    assert CALLS == ["tick"]
    clock.advance(timedelta(seconds=31))
    run_due_timers("b")
    run_due_timers("a")
    assert CALLS == ["tick", "tick"]
    assert TimerState.objects.get(name="tests.tick").runs == 2


@pytest.mark.django_db
def test_events_delivered_in_order_per_aggregate_once_per_subscriber():
    seen_a, seen_b = [], []
    subscribe("tests.happened", name="a")(lambda e: seen_a.append(e.payload["n"]))
    subscribe("tests.happened", name="b")(lambda e: seen_b.append(e.payload["n"]))
    for n in range(5):
        publish("tests.happened", {"n": n}, aggregate="order:1")
    # Make the first delivery to "a" fail once: later ones for the same aggregate must wait.
    first = Job.objects.filter(payload__subscriber="a").order_by("id").first()
    Job.objects.filter(pk=first.pk).update(run_at=clock.now() + timedelta(seconds=10))
    run_pending()
    assert seen_a == [] and seen_b == [0, 1, 2, 3, 4]
    clock.advance(timedelta(seconds=11))
    run_pending()
    assert seen_a == [0, 1, 2, 3, 4]
    run_pending()
    assert seen_b == [0, 1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job_twice():
    if connection.vendor != "postgresql":
        pytest.skip(
            "SKIP LOCKED claiming is PostgreSQL's; SQLite serialises writers (IMMEDIATE transactions)"
        )
    total = 200
    Job.objects.bulk_create([Job(name="tests.record", payload={"n": i}) for i in range(total)])
    lock = threading.Lock()
    runs: list[int] = []
    original = JOBS["tests.record"]

    def counting(payload):
        with lock:
            runs.append(payload["n"])

    JOBS["tests.record"] = original.__class__(original.name, counting, original.max_attempts)
    try:

        def worker(name):
            try:
                run_pending(owner=name, timers=False)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        JOBS["tests.record"] = original
    assert sorted(runs) == list(range(total))
    assert Job.objects.filter(status=JobStatus.DONE).count() == total
    assert Job.objects.values("locked_by").distinct().count() > 1
