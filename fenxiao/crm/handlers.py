"""Outbox subscribers and timers of the CRM (autodiscovered by ``core``)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core.events import subscribe
from fenxiao.core.jobs import periodic
from fenxiao.core.models import OutboxEvent


@subscribe("order.completed", name="crm.earn_points")
def earn_points(event: OutboxEvent) -> None:
    from fenxiao.trade.models import Order

    from .points import earn_for_completed

    earn_for_completed(Order.objects.select_related("consumer").get(pk=event.payload["order_id"]))


@subscribe("order.cancelled", name="crm.restore_points")
def restore_points(event: OutboxEvent) -> None:
    from fenxiao.trade.models import Order

    from .points import restore_for_cancelled

    restore_for_cancelled(Order.objects.get(pk=event.payload["order_id"]))


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
