"""Marketing timers (autodiscovered by ``core``)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core.jobs import periodic


@periodic("marketing.close_unpaid_flash_orders", every=timedelta(seconds=15))
def close_unpaid_flash_orders() -> None:
    from .flash import close_unpaid_flash_orders as run

    run()


@periodic("marketing.fail_expired_groups", every=timedelta(seconds=30))
def fail_expired_groups() -> None:
    from .groups import fail_expired_groups as run

    run()
