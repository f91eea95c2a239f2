"""The platform's background-tasks page: queues, failed tasks with their error and a retry,
timers with their last failure; platform staff only (the matrix tests the others)."""

from datetime import timedelta

import pytest

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.core import clock
from fenxiao.core.jobs import enqueue, job, periodic, run_pending
from fenxiao.core.models import EntryStatus, OutboxEntry, TimerState
from fenxiao.core.registry import JOBS, TIMERS

pytestmark = pytest.mark.django_db

FAILURES: list = []


@job("tests.page_always_fails", max_attempts=2, queue="notifications")
def always_fails(payload: dict) -> None:
    raise RuntimeError("the receiver said no")


@job("tests.page_fails_then_works", max_attempts=1)
def fails_then_works(payload: dict) -> None:
    if not FAILURES:
        FAILURES.append(1)
        raise ValueError("first time fails")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True))
    return client


def _exhaust() -> None:
    for _ in range(3):
        run_pending(timers=False)
        clock.advance(timedelta(hours=1))


def test_failed_task_listed_with_its_error_and_retried(staff_client):
    FAILURES.clear()
    entry = enqueue("tests.page_fails_then_works", {"n": 1})
    _exhaust()
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DEAD and "first time fails" in entry.last_error
    page = staff_client.get("/platform/tasks/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "tests.page_fails_then_works" in body and "ValueError: first time fails" in body
    answer = staff_client.post(f"/platform/tasks/{entry.pk}/retry/")
    assert answer.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.QUEUED and entry.attempts == 0
    run_pending(timers=False)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DONE
    # Retrying what is not failed changes nothing.
    assert staff_client.post(f"/platform/tasks/{entry.pk}/retry/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DONE


def test_queues_shown_with_depth_and_failed_count(staff_client):
    enqueue("tests.page_always_fails", {})
    _exhaust()
    enqueue("tests.page_always_fails", {}, run_at=clock.now())
    body = staff_client.get("/platform/tasks/").content.decode()
    assert 'id="task-queues"' in body and "notifications" in body and "payments" in body
    filtered = staff_client.get("/platform/tasks/?queue=notifications").content.decode()
    assert "the receiver said no" in filtered
    assert "the receiver said no" not in staff_client.get("/platform/tasks/?queue=payments").content.decode()


def test_a_failed_timer_run_is_listed(staff_client):
    def broken() -> None:
        raise RuntimeError("timer broke")

    periodic("tests.page_timer", every=timedelta(minutes=5))(broken)
    try:
        run_pending()
        state = TimerState.objects.get(name="tests.page_timer")
        assert state.failed_at is not None and "timer broke" in state.last_error
        dead = OutboxEntry.objects.get(name="tests.page_timer")
        assert dead.status == EntryStatus.DEAD
        body = staff_client.get("/platform/tasks/").content.decode()
        assert "tests.page_timer" in body and "RuntimeError: timer broke" in body
    finally:
        TIMERS.pop("tests.page_timer", None)
        JOBS.pop("tests.page_timer", None)


def test_retry_is_post_only_and_staff_only(client, staff_client):
    entry = OutboxEntry.objects.create(name="tests.page_always_fails", status=EntryStatus.DEAD)
    assert staff_client.get(f"/platform/tasks/{entry.pk}/retry/").status_code == 405
    client.force_login(UserFactory())
    assert client.post(f"/platform/tasks/{entry.pk}/retry/").status_code == 403
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DEAD


def test_finished_work_is_pruned_after_its_keeping():
    from django_tasks_db.models import DBTaskResult

    from fenxiao.core.jobs import prune_tasks

    enqueue("tests.page_fails_then_works", {"n": 2})
    FAILURES.append(1)  # succeeds at once
    run_pending(timers=False)
    dead = OutboxEntry.objects.create(name="tests.page_always_fails", status=EntryStatus.DEAD)
    assert DBTaskResult.objects.finished().exists()
    clock.advance(timedelta(days=8))
    prune_tasks()
    assert list(OutboxEntry.objects.filter(name__startswith="tests.page")) == [dead]
    assert (
        not DBTaskResult.objects.finished().filter(finished_at__lt=clock.now() - timedelta(days=1)).exists()
    )
