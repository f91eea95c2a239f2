"""Registered job handlers, timers and event subscribers (filled at import of each app's
``jobs.py``, see ``CoreConfig.ready``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[[dict], None]
    max_attempts: int
    atomic: bool = True
    queue: str = "default"
    priority: int = 0
    task: Any = None  # the Tasks framework's Task that runs this job's outbox entries


@dataclass(frozen=True)
class TimerSpec:
    name: str
    fn: Callable[[], None]
    every: timedelta


JOBS: dict[str, JobSpec] = {}
TIMERS: dict[str, TimerSpec] = {}
SUBSCRIBERS: dict[str, list[tuple[str, Callable]]] = {}
