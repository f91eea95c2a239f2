"""Racing functions against each other in threads, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection


def run_together(
    *fns: Callable[[], object], expected: tuple[type[Exception], ...] = (ValidationError,)
) -> list:
    """Start the functions in threads at the same moment; each outcome is "ok" or the ``expected``
    error it raised (any other error is not caught: the thread reports it and its outcome stays
    ``None``, which the test's assertions then meet)."""
    barrier = threading.Barrier(len(fns))
    outcomes: list = [None] * len(fns)

    def run(index: int, fn: Callable[[], object]) -> None:
        try:
            barrier.wait()
            fn()
            outcomes[index] = "ok"
        except expected as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
