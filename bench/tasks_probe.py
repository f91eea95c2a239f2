"""The benchmark's no-op job, imported by the benchmark's workers (bench/tasks.py)."""

from __future__ import annotations

from fenxiao.core.jobs import job


@job("bench.noop", max_attempts=3)
def noop(payload: dict) -> None:
    """Does nothing: what is measured is the queue, not the work."""
