"""Progress output shared by seeding and other long-running commands."""

from __future__ import annotations

from collections.abc import Callable


def line_writer(stdout=None) -> Callable[[str], None]:
    """A function writing one line to ``stdout``: a stream (``.write``), a callable, or print."""
    if stdout is None:
        return print
    return (lambda text: stdout.write(text + "\n")) if hasattr(stdout, "write") else stdout
