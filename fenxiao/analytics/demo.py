"""Demo data for the data cube: rebuild the rollups from the demo's orders, visits, share links,
commissions, refunds and members (idempotent: a rebuild replaces every rollup row)."""

from __future__ import annotations

from .rebuild import rebuild


def seed(stdout) -> None:
    totals = rebuild(progress=lambda message: None)
    stdout.write(
        f"Data cube: {totals['stats']} day rows rebuilt from the demo data "
        "(brand console → Data cube; distributors: /analytics/d/; platform staff: /analytics/platform/)\n"
    )
