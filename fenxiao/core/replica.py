"""Reads that may go to a PostgreSQL read replica: the data cube's dashboards and exports.

Set ``REPLICA_DATABASE_URL`` and settings add a ``replica`` database alias and this router.  Code
that only reads, and can live with the replica's lag (seconds), wraps itself in
:func:`replica_reads`; every read inside goes to the replica, everything else (all writes, the
worker's rollup maintenance, every read outside the block) stays on ``default``.  Without a
replica the block changes nothing, so the same code runs on one database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_reading_from_replica: ContextVar[bool] = ContextVar("fenxiao_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads inside :func:`replica_reads` use the replica."""

    def db_for_read(self, model, **hints) -> str | None:
        if _reading_from_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return db != REPLICA  # the replica follows the primary by streaming replication
