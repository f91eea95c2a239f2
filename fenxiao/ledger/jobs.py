"""Timers of the ledger (discovered by ``core``)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core.jobs import periodic


@periodic("ledger.generate_statements", every=timedelta(hours=1))
def generate_statements() -> None:
    from .statements import generate_due_statements

    generate_due_statements()
