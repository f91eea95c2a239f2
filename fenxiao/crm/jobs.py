"""Timers of the CRM (discovered by ``core``)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core.jobs import periodic


@periodic("crm.expire_points", every=timedelta(hours=6))
def expire_points() -> None:
    from .points import expire_points as run

    run()


@periodic("crm.compute_rfm", every=timedelta(hours=24))
def compute_rfm() -> None:
    from .segments import compute_rfm as run

    run()


@periodic("crm.prune_wechat_nonces", every=timedelta(hours=1))
def prune_nonces() -> None:
    from .wechat import prune_nonces as run

    run()
