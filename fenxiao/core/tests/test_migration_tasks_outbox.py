"""Migration 0003: the old worker's pending jobs are carried over into the outbox."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0002_audit_log")]
AFTER = [("core", "0003_tasks_outbox")]


@pytest.mark.django_db(transaction=True)
def test_pending_jobs_become_outbox_entries():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Job = old.get_model("core", "Job")
    Job.objects.create(
        name="core.deliver_event",
        payload={"event_id": 1, "subscriber": "fenxiao.analytics.jobs.rollup", "topic": "order.paid"},
        ordering_key="order:1|fenxiao.analytics.jobs.rollup",
    )
    Job.objects.create(name="payments.refund_poll", payload={"refund": 3}, status="running", attempts=2)
    Job.objects.create(name="trade.settle_due_orders", status="done")
    Job.objects.create(name="openapi.send_webhook", status="dead", attempts=25, last_error="HTTP 500")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    entries = {
        e.name: e
        for e in new.get_model("core", "OutboxEntry").objects.filter(
            name__in=[
                "core.deliver_event",
                "payments.refund_poll",
                "trade.settle_due_orders",
                "openapi.send_webhook",
            ]
        )
    }
    assert set(entries) == {"core.deliver_event", "payments.refund_poll", "openapi.send_webhook"}
    delivery = entries["core.deliver_event"]
    assert (delivery.status, delivery.queue, delivery.ordering_key) == (
        "queued",
        "analytics",
        "order:1|fenxiao.analytics.jobs.rollup",
    )
    poll = entries["payments.refund_poll"]
    assert (poll.status, poll.queue, poll.attempts, poll.payload) == ("queued", "payments", 2, {"refund": 3})
    dead = entries["openapi.send_webhook"]
    assert (dead.status, dead.queue, dead.last_error) == ("dead", "notifications", "HTTP 500")
    assert "core_job" not in connection.introspection.table_names()
