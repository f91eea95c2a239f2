"""Helpers for set-based SQL that runs on SQLite and PostgreSQL alike (the settlement batch).

- :func:`temp_table` — a session-private scratch table, created once per connection and emptied
  at the start of each use (``TRUNCATE`` on PostgreSQL: a ``DELETE`` would leave dead rows that
  autovacuum never cleans in temporary tables, and every later batch would scan them);
- :func:`analyze` — planner statistics for a scratch table (PostgreSQL plans joins with it as if it
  were empty otherwise; SQLite needs nothing);
- :func:`as_saved` — a model instance built from a raw ``INSERT … RETURNING``, marked saved;
- :func:`dt` — a datetime parameter in the form the backend stores (SQLite compares text, so an
  aware datetime must be written exactly as Django writes the column);
- :func:`json_object` — ``jsonb_build_object`` / ``json_object``;
- :func:`lock_skip_locked` — ``FOR UPDATE OF … SKIP LOCKED`` where the database has it (SQLite
  serialises writers with ``BEGIN IMMEDIATE`` instead, see settings);
- :func:`update_from` — set columns from a joined source: ``UPDATE … FROM`` on PostgreSQL (one
  join), correlated subqueries on SQLite (any version; fast there);
- :func:`without_automatic_indexes` — SQLite may build a throwaway index over a whole large table
  for a join that an existing index serves; off for the statements that must stay proportional
  to the batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


def as_saved(instance: M) -> M:
    """``instance``, built from a row a raw ``INSERT … RETURNING`` wrote, marked as the ORM marks
    a saved one (not adding, of this connection), so a later ``save()`` updates instead of inserting."""
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def temp_table(cursor, name: str, columns: str) -> str:
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
    cursor.execute(f"TRUNCATE {name}" if is_postgres() else f"DELETE FROM {name}")
    return name


def analyze(cursor, *names: str) -> None:
    if is_postgres():
        cursor.execute(f"ANALYZE {', '.join(names)}")


def dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def json_object(**fields: str) -> str:
    """A JSON object built in SQL from ``key=<SQL expression>`` pairs."""
    fn = "jsonb_build_object" if is_postgres() else "json_object"
    pairs = ", ".join(f"'{key}', {expr}" for key, expr in fields.items())
    return f"{fn}({pairs})"


def lock_skip_locked(alias: str) -> str:
    if connection.features.has_select_for_update_skip_locked and connection.features.has_select_for_update_of:
        return f" FOR UPDATE OF {alias} SKIP LOCKED"
    return ""


def lock_rows() -> str:
    """Row locks for an update that follows; keys stay shareable (foreign-key checks of other
    inserts do not wait)."""
    return " FOR NO KEY UPDATE" if is_postgres() else ""


def update_from(
    cursor, table: str, columns: dict[str, str], source: str, on: str, params=(), *, rows: str | None = None
) -> int:
    """``UPDATE table SET column = expression, … FROM source WHERE on`` for the rows of ``table``
    that ``on`` matches (``on`` names the target as ``table``; parameters only in ``source`` and
    ``on``); returns the rows updated.  ``rows``: a condition without parameters selecting those
    rows by key (SQLite then looks them up instead of testing every row of a large ``table``)."""
    if is_postgres():
        sets = ", ".join(f"{column} = {expr}" for column, expr in columns.items())
        cursor.execute(f"UPDATE {table} SET {sets} FROM {source} WHERE {on}", list(params))
        return cursor.rowcount
    sets = ", ".join(
        f"{column} = (SELECT {expr} FROM {source} WHERE {on})" for column, expr in columns.items()
    )
    if rows:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE {rows}", list(params) * len(columns))
    else:
        cursor.execute(
            f"UPDATE {table} SET {sets} WHERE EXISTS (SELECT 1 FROM {source} WHERE {on})",
            list(params) * (len(columns) + 1),
        )
    return cursor.rowcount


@contextmanager
def without_automatic_indexes(cursor) -> Iterator[None]:
    if is_postgres():
        yield
        return
    cursor.execute("PRAGMA automatic_index = OFF")
    try:
        yield
    finally:
        cursor.execute("PRAGMA automatic_index = ON")
