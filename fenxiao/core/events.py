"""Transactional outbox.

    publish("order.paid", {"order_id": 1}, aggregate="order:1")   # in the caller's transaction

    @subscribe("order.paid")
    def on_paid(event: OutboxEvent) -> None: ...

Publishing writes the event and one delivery entry per subscriber (``core.jobs``: a task of the
Tasks framework, on the subscriber's queue), in the caller's transaction:
no event without its state change, no state change without its event.  Each subscriber gets
each event once (its delivery job commits with the subscriber's own writes), retried on
failure, and in order per aggregate (deliveries share an ordering key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connection
from django.utils import timezone

from . import clock
from .jobs import QUEUES, enqueue_many, job, queue_for
from .models import EntryStatus, OutboxEntry, OutboxEvent
from .registry import JOBS, SUBSCRIBERS
from .sql import as_saved, dt, is_postgres, json_object

DELIVER_JOB = "core.deliver_event"


def subscribe(topic: str, *, name: str | None = None) -> Callable:
    def register(fn: Callable[[OutboxEvent], None]) -> Callable[[OutboxEvent], None]:
        subscriber = name or f"{fn.__module__}.{fn.__qualname__}"
        handlers = SUBSCRIBERS.setdefault(topic, [])
        if all(existing != subscriber for existing, _ in handlers):
            handlers.append((subscriber, fn))
        return fn

    return register


def publish(topic: str, payload: dict, *, aggregate: str = "") -> OutboxEvent:
    """Write the event and its delivery jobs (one INSERT for all the subscribers' jobs).  On
    PostgreSQL both are ONE statement (a data-modifying ``WITH``, the SQL of :func:`publish_select`):
    every checkout, payment and member publishes, so it saves a round trip each; SQLite has no
    data-modifying ``WITH`` and writes them with the ORM.  The same rows either way."""
    if is_postgres():
        return _publish_one(topic, payload, aggregate)
    event = OutboxEvent.objects.create(topic=topic, payload=payload, aggregate=aggregate)
    enqueue_many(
        DELIVER_JOB,
        [
            (
                {"event_id": event.pk, "subscriber": subscriber, "topic": topic},
                f"{aggregate or event.pk}|{subscriber}",
                queue_for(subscriber),
            )
            for subscriber, _ in SUBSCRIBERS.get(topic, []) + SUBSCRIBERS.get("*", [])
        ],
    )
    return event


def _publish_one(topic: str, payload: dict, aggregate: str) -> OutboxEvent:
    """PostgreSQL: :func:`publish` in one statement; the event as the ORM would have returned it."""
    created_at = timezone.now()
    payload_param = OutboxEvent._meta.get_field("payload").get_db_prep_save(payload, connection)
    insert_events, event_params, insert_jobs, job_params = _publish_sql(
        topic,
        "SELECT %s AS aggregate, %s AS payload",
        [aggregate, payload_param],
        order_by="x.aggregate",
        created_at=created_at,
    )
    if insert_jobs is None:
        sql, params = f"{insert_events} RETURNING id", event_params
    else:
        sql = (
            f"WITH ev AS ({insert_events} RETURNING id, aggregate),"
            f" jobs AS ({insert_jobs.format(ev='ev', where='')}) SELECT id FROM ev"
        )
        params = [*event_params, *job_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0]
    return as_saved(
        OutboxEvent(pk=pk, topic=topic, payload=payload, aggregate=aggregate, created_at=created_at)
    )


def publish_many(topic: str, events: Iterable[tuple[dict, str]]) -> list[OutboxEvent]:
    """:func:`publish` for many ``(payload, aggregate)`` of one topic: the same rows, written with
    one bulk insert of the events and one of their delivery jobs."""
    events = list(events)
    if not connection.features.can_return_rows_from_bulk_insert:
        return [publish(topic, payload, aggregate=aggregate) for payload, aggregate in events]
    written = OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=topic, payload=payload, aggregate=aggregate) for payload, aggregate in events],
        batch_size=1000,
    )
    subscribers = [name for name, _ in SUBSCRIBERS.get(topic, []) + SUBSCRIBERS.get("*", [])]
    enqueue_many(
        DELIVER_JOB,
        [
            (
                {"event_id": event.pk, "subscriber": subscriber, "topic": topic},
                f"{event.aggregate or event.pk}|{subscriber}",
                queue_for(subscriber),
            )
            for event in written
            for subscriber in subscribers
        ],
    )
    return written


def _publish_sql(topic: str, select: str, params: Sequence, *, order_by: str, created_at=None) -> tuple:
    """The two statements of :func:`publish_select`: the events' ``INSERT … SELECT`` with its
    parameters, and the delivery jobs' ``INSERT`` (a template over ``{ev}``, ``{where}``) with
    its parameters; ``None`` for the jobs when the topic has no subscriber."""
    events, jobs = OutboxEvent._meta.db_table, OutboxEntry._meta.db_table
    names = [name for name, _ in SUBSCRIBERS.get(topic, []) + SUBSCRIBERS.get("*", [])]
    insert_events = (
        f"INSERT INTO {events} (topic, aggregate, payload, created_at)"
        f" SELECT %s, x.aggregate, x.payload, %s FROM ({select}) x ORDER BY {order_by}"
    )
    event_params = [topic, dt(created_at or timezone.now()), *params]
    if not names:
        return insert_events, event_params, None, []
    subscribers = " UNION ALL ".join(
        f"SELECT {k} AS k, %s AS name, %s AS queue, {QUEUES[queue_for(name)]} AS priority"
        for k, name in enumerate(names)
    )
    payload = json_object(event_id="ev.id", subscriber="s.name", topic="%s")
    insert_jobs = (
        f"INSERT INTO {jobs} (name, payload, queue, priority, status, run_at, attempts, max_attempts, unique_key,"
        " ordering_key, locked_by, locked_until, last_error, created_at, started_at, finished_at)"
        f" SELECT %s, {payload}, s.queue, s.priority, %s, %s, 0, %s, NULL,"
        " COALESCE(NULLIF(ev.aggregate, ''), CAST(ev.id AS VARCHAR(20))) || '|' || s.name,"
        " '', NULL, '', %s, NULL, NULL"
        f" FROM {{ev}} ev CROSS JOIN ({subscribers}) s {{where}} ORDER BY ev.id, s.k"
    )
    job_params = [
        DELIVER_JOB,
        topic,
        EntryStatus.QUEUED,
        dt(clock.now()),
        JOBS[DELIVER_JOB].max_attempts,
        dt(timezone.now()),
        *[value for name in names for value in (name, queue_for(name))],
    ]
    return insert_events, event_params, insert_jobs, job_params


def publish_select(topic: str, select: str, params: Sequence = (), *, order_by: str) -> None:
    """:func:`publish` for every row of ``select`` — a SELECT with columns ``aggregate`` and
    ``payload`` (a JSON expression, ``core.sql.json_object``), events in ``order_by`` order (its
    columns) — without a row passing through Python: one ``INSERT … SELECT`` of the events, one
    of their delivery jobs.  The same rows as :func:`publish` one by one (``created_at`` is the
    wall clock, ``run_at`` the business clock, as there)."""
    insert_events, event_params, insert_jobs, job_params = _publish_sql(
        topic, select, params, order_by=order_by
    )
    with connection.cursor() as cursor:
        if insert_jobs is None:
            cursor.execute(insert_events, event_params)
        elif is_postgres():
            # The new events' ids come from the INSERT itself: other transactions take ids meanwhile.
            cursor.execute(
                f"WITH ev AS ({insert_events} RETURNING id, aggregate) "
                + insert_jobs.format(ev="ev", where=""),
                [*event_params, *job_params],
            )
        else:
            # SQLite runs one writer at a time: the events above the highest id are this call's.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {OutboxEvent._meta.db_table}")
            before = cursor.fetchone()[0]
            cursor.execute(insert_events, event_params)
            cursor.execute(
                insert_jobs.format(ev=OutboxEvent._meta.db_table, where="WHERE ev.id > %s"),
                [*job_params, before],
            )


def insert_and_publish(insert: str, params: Sequence, topic: str, *, payload: str, aggregate: str) -> int:
    """PostgreSQL only: ``insert`` (an ``INSERT … RETURNING id``), its ``topic`` event and the
    event's delivery jobs in ONE statement (data-modifying ``WITH``), so the write needs no
    transaction of its own: it is atomic as a statement. ``payload`` is a JSON expression
    (``core.sql.json_object``) over the new row's ``new.id``. The same rows as the insert followed
    by :func:`publish`. Returns the new row's id."""
    if not is_postgres():
        raise NotImplementedError("a data-modifying WITH needs PostgreSQL")
    insert_events, event_params, insert_jobs, job_params = _publish_sql(
        topic, f"SELECT %s AS aggregate, {payload} AS payload FROM new", [aggregate], order_by="x.aggregate"
    )
    jobs = f", jobs AS ({insert_jobs.format(ev='ev', where='')})" if insert_jobs else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH new AS ({insert}), ev AS ({insert_events} RETURNING id, aggregate){jobs} SELECT id FROM new",
            [*params, *event_params, *job_params],
        )
        return cursor.fetchone()[0]


@job(DELIVER_JOB, max_attempts=25)
def deliver_event(payload: dict) -> None:
    event = OutboxEvent.objects.get(pk=payload["event_id"])
    for subscriber, fn in SUBSCRIBERS.get(event.topic, []) + SUBSCRIBERS.get("*", []):
        if subscriber == payload["subscriber"]:
            fn(event)
            return
    raise LookupError(f"subscriber {payload['subscriber']} is no longer registered for {event.topic}")
