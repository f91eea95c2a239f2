"""Background work of the data cube: the rollups follow the outbox, one subscriber per topic
(discovered by ``core`` like every app's ``jobs.py``)."""

from __future__ import annotations

from fenxiao.core.events import subscribe

from . import rollups

SUBSCRIBERS = {
    "analytics.order_created": ("order.created", rollups.on_order_created),
    "analytics.order_paid": ("order.paid", rollups.on_order_paid),
    "analytics.order_refunded": ("order.refunded", rollups.on_order_refunded),
    "analytics.share_visited": ("share.visited", rollups.on_share_visited),
    "analytics.share_created": ("share.created", rollups.on_share_created),
    "analytics.withdrawal_paid": ("withdrawal.paid", rollups.on_withdrawal_paid),
    "analytics.member_created": ("member.created", rollups.on_member_created),
}

for _name, (_topic, _fn) in SUBSCRIBERS.items():
    subscribe(_topic, name=_name)(_fn)
