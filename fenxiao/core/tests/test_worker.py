import dataclasses
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from fenxiao.core import clock
from fenxiao.core.events import publish, subscribe
from fenxiao.core.jobs import enqueue, job, periodic, run_pending
from fenxiao.core.models import EntryStatus, OutboxEntry, TimerState
from fenxiao.core.registry import JOBS, SUBSCRIBERS, TIMERS
from fenxiao.core.relay import claim_due, claim_timers, run_entry

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
    assert OutboxEntry.objects.count() == 0
    assert run_pending() == 0 and CALLS == []


@pytest.mark.django_db
def test_enqueue_unknown_job_is_an_error():
    with pytest.raises(LookupError):
        enqueue("tests.nope")


@pytest.mark.django_db
def test_retry_with_backoff_then_success():
    enqueue("tests.flaky", {"fail_times": 1})
    run_pending()
    job_row = OutboxEntry.objects.get(name="tests.flaky")
    assert job_row.status == EntryStatus.QUEUED and "boom" in job_row.last_error
    assert job_row.run_at > clock.now()
    assert run_pending() == 0  # not due yet
    clock.advance(timedelta(seconds=3))
    run_pending()
    job_row.refresh_from_db()
    assert job_row.status == EntryStatus.DONE and CALLS == ["try", "try"]


@pytest.mark.django_db
def test_dead_after_max_attempts():
    enqueue("tests.flaky", {"fail_times": 99})
    for _ in range(5):
        run_pending()
        clock.advance(timedelta(hours=1))
    job_row = OutboxEntry.objects.get(name="tests.flaky")
    assert job_row.status == EntryStatus.DEAD and job_row.attempts == 3


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
    [claimed] = claim_due("dead-worker", 1)  # handed to a worker, then the process "dies"
    assert run_pending(owner="live-worker") == 0  # lease still held
    clock.advance(timedelta(minutes=6))
    assert run_pending(owner="live-worker") == 1
    assert CALLS == [7]
    assert run_entry(claimed.pk, claimed.attempts) is False  # the late original cannot run it again
    assert CALLS == [7]


@pytest.mark.django_db
def test_periodic_runs_once_per_period():
    periodic("tests.tick", every=timedelta(seconds=30))(lambda: CALLS.append("tick"))
    assert claim_timers("a") >= 1 and claim_timers("b") == 0
    run_pending(timers=False)
    assert CALLS == ["tick"]
    clock.advance(timedelta(seconds=31))
    assert claim_timers("b") >= 1 and claim_timers("a") == 0
    run_pending(timers=False)
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
    first = OutboxEntry.objects.filter(payload__subscriber="a").order_by("id").first()
    OutboxEntry.objects.filter(pk=first.pk).update(run_at=clock.now() + timedelta(seconds=10))
    run_pending()
    assert seen_a == [] and seen_b == [0, 1, 2, 3, 4]
    clock.advance(timedelta(seconds=11))
    run_pending()
    assert seen_a == [0, 1, 2, 3, 4]
    run_pending()
    assert seen_b == [0, 1, 2, 3, 4]


@pytest.mark.django_db
def test_publish_writes_the_same_rows_in_one_statement_as_the_orm_path(monkeypatch):
    """PostgreSQL writes an event and its delivery jobs with one statement (a data-modifying
    WITH); SQLite, and PostgreSQL with the fast path switched off, through the ORM. The rows and
    the returned event are the same."""
    from django.test.utils import CaptureQueriesContext

    from fenxiao.core import events
    from fenxiao.core.models import OutboxEvent

    subscribe("tests.happened", name="a")(lambda e: None)
    subscribe("tests.happened", name="b")(lambda e: None)
    payload = {"n": 1, "text": "订单 “1”", "nested": {"ids": [1, 2]}, "none": None}

    def written() -> tuple:
        with CaptureQueriesContext(connection) as captured:
            event = publish("tests.happened", payload, aggregate="order:7")
        saved = OutboxEvent.objects.get(pk=event.pk)
        assert (event.topic, event.aggregate, event.payload) == (saved.topic, saved.aggregate, saved.payload)
        assert saved.payload == payload and abs(saved.created_at - event.created_at) < timedelta(seconds=1)
        jobs = [
            (e.name, {**e.payload, "event_id": e.payload["event_id"] - event.pk}, e.queue, e.priority)
            + (e.status, e.max_attempts, e.unique_key, e.ordering_key, e.attempts, e.run_at == clock.now())
            for e in OutboxEntry.objects.filter(payload__event_id=event.pk).order_by("id")
        ]
        assert len(jobs) >= 2  # a and b, and the subscribers of every topic
        return (saved.topic, saved.aggregate, saved.payload, jobs), len(captured)

    fast, fast_statements = written()
    monkeypatch.setattr(events, "is_postgres", lambda: False)
    orm, orm_statements = written()
    assert fast == orm
    assert fast_statements == (1 if connection.vendor == "postgresql" else orm_statements)


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job_twice():
    if connection.vendor != "postgresql":
        pytest.skip(
            "SKIP LOCKED claiming is PostgreSQL's; SQLite serialises writers (IMMEDIATE transactions)"
        )
    total = 200
    OutboxEntry.objects.bulk_create(
        [OutboxEntry(name="tests.record", payload={"n": i}) for i in range(total)]
    )
    lock = threading.Lock()
    runs: list[int] = []
    original = JOBS["tests.record"]

    def counting(payload):
        with lock:
            runs.append(payload["n"])

    JOBS["tests.record"] = dataclasses.replace(original, fn=counting)
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
    assert OutboxEntry.objects.filter(name="tests.record", status=EntryStatus.DONE).count() == total
    assert not OutboxEntry.objects.filter(attempts__gt=1).exists()
