"""One progress line a second (and the last one) for the ledger's long-running commands."""

from __future__ import annotations

import time
from collections.abc import Callable


def printer(write: Callable[[str], None], noun: str) -> Callable[[int, int], None]:
    started = time.monotonic()
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        if elapsed - shown[0] >= 1 or done == total:
            shown[0] = elapsed
            rate = done / elapsed if elapsed else 0.0
            eta = f"{(total - done) / rate:,.0f} s" if rate else "?"
            write(f"  {done:>10,} / {total:,} {noun}  {rate:>8,.0f}/s  ETA {eta}")

    return progress
