"""Group buying (拼团), pricing position 21 (the promotion stage).

``options["group"] = {"deal": deal id, "group": group id or None}``: without a group the buyer
opens one (as leader), with one it joins through the share link.  One unit per seat, one seat per
consumer per group, at most ``size`` seats held (an unpaid seat holds its place until its order
is cancelled).  When ``size`` seats are paid the group succeeds; when ``hours`` pass first, a
timer fails it: unpaid orders are cancelled and every paid order is refunded in full through
``trade.refunds.refund_order`` (one job per order, idempotent by reference), which cancels it
(trade: paid → cancelled once refunded in full before shipping; its unit goes back to stock, its
coupon and redeemed points back to the member).

Until its group succeeded a paid group order does not ship: :meth:`GroupBuyTool.ship_blocker`
(through ``MarketingExtension.ship_blockers``) gives the reason, which ``fulfilment.ship`` raises and the brand
console and the Open API show.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core import clock
from fenxiao.core.events import publish
from fenxiao.core.jobs import enqueue, job
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order, OrderStatus

from .models import Group, GroupDeal, GroupSeat, GroupStatus
from .permissions import signed_in
from .plugins import MarketingTool

REFUND_JOB = "marketing.refund_group_order"


def _choice(order) -> tuple[int | None, int | None]:
    raw = order.options.get("group") or {}
    try:
        deal = int(raw.get("deal") or 0) or None
        group = int(raw.get("group") or 0) or None
    except (AttributeError, TypeError, ValueError):
        return None, None
    return deal, group


class GroupBuyTool(MarketingTool):
    name = "group"
    position = 21

    def applies_to(self, order, line, consumer, now) -> bool:
        deal = order.adjustments.get("_group_deal")
        return deal is not None and line.sku.pk == deal.sku_id

    def adjust(self, order, consumer, now) -> dict[int, int]:
        deal_id, group_id = _choice(order)
        if not deal_id or not signed_in(consumer):
            return {}
        deal = GroupDeal.objects.filter(pk=deal_id, brand_id=order.brand.pk).first()
        if deal is None or not deal.is_live(now):
            return {}
        order.adjustments["_group_deal"] = deal
        parts = {}
        for i, line in enumerate(order.lines):
            if self.applies_to(order, line, consumer, now):
                parts[i] = max(0, line.paid - deal.price * line.quantity)
                order.adjustments[self.name] = {"deal": deal.pk, "group": group_id, "quantity": line.quantity}
        return parts

    def reference_for(self, priced_order) -> str:
        return f"group:{priced_order.adjustments.get(self.name, {}).get('deal', '')}"

    def on_placed(self, order, priced_order) -> None:
        deal_id, _group_id = _choice(priced_order)
        noted = priced_order.adjustments.get(self.name)
        if not noted:
            if deal_id and GroupDeal.objects.filter(pk=deal_id, brand_id=order.brand_id).exists():
                raise TradeError(_("This group deal is not on."))
            return
        take_seat(priced_order.adjustments["_group_deal"], order, noted["group"], noted["quantity"])

    def on_paid(self, order) -> None:
        seat = GroupSeat.objects.filter(order=order, cancelled=False).first()
        if seat is None:
            return
        group = Group.objects.select_for_update().get(pk=seat.group_id)
        GroupSeat.objects.filter(pk=seat.pk).update(paid=True)
        if group.status == GroupStatus.FAILED:
            enqueue(
                REFUND_JOB, {"order_id": order.pk, "group_id": group.pk}, unique_key=f"grouprefund:{order.pk}"
            )
            return
        group.paid_count += 1
        fields = ["paid_count"]
        if group.status == GroupStatus.OPEN and group.paid_count >= group.deal.size:
            group.status = GroupStatus.SUCCEEDED
            group.closed_at = clock.now()
            fields += ["status", "closed_at"]
            publish(
                "group.succeeded",
                {"group_id": group.pk, "brand_id": group.deal.brand_id},
                aggregate=f"group:{group.pk}",
            )
        group.save(update_fields=fields)

    def on_cancelled(self, order) -> None:
        """The seat is freed.  A paid seat (its order refunded in full before shipping, e.g. by
        after-sales) no longer counts towards an open group, which needs another payer; a group
        that already succeeded stays succeeded, a failed one stays failed."""
        seat = GroupSeat.objects.filter(order=order, cancelled=False).first()
        if seat is None:
            return
        group = Group.objects.select_for_update().get(pk=seat.group_id)
        GroupSeat.objects.filter(pk=seat.pk).update(cancelled=True)
        if group.status != GroupStatus.OPEN:
            return
        if seat.paid and group.paid_count > 0:
            Group.objects.filter(pk=group.pk).update(paid_count=F("paid_count") - 1)
        if not group.seats.filter(cancelled=False).exists():
            Group.objects.filter(pk=group.pk).update(status=GroupStatus.FAILED, closed_at=clock.now())

    def ship_blocker(self, order) -> str | None:
        """A group-buy order ships only once its group succeeded."""
        return self.ship_blockers([order]).get(order.pk)

    def ship_blockers(self, orders: list) -> dict[int, str | None]:
        seats = GroupSeat.objects.filter(order__in=orders, cancelled=False).select_related("group__deal")
        return {seat.order_id: _seat_blocker(seat) for seat in seats}


def _seat_blocker(seat: GroupSeat) -> str | None:
    if seat.group.status == GroupStatus.SUCCEEDED:
        return None
    if seat.group.status == GroupStatus.FAILED:
        return _("This group buy failed: the order is refunded in full and will not ship.")
    return _("This group-buy order can ship once its group is complete (%(paid)d of %(size)d paid).") % {
        "paid": seat.group.paid_count,
        "size": seat.group.deal.size,
    }


def take_seat(deal: GroupDeal, order, group_id: int | None, quantity: int) -> GroupSeat:
    now = clock.now()
    if quantity != 1:
        raise TradeError(_("A group seat is for one unit."))
    if group_id is None:
        group = Group.objects.create(
            deal=deal, leader=order.consumer, expires_at=now + timedelta(hours=deal.hours), created_at=now
        )
    else:
        group = Group.objects.select_for_update().filter(pk=group_id, deal=deal).first()
        if group is None or group.status != GroupStatus.OPEN or group.expires_at <= now:
            raise TradeError(_("This group is closed; open a new one."))
        if group.seats.filter(cancelled=False).count() >= deal.size:
            raise TradeError(_("This group is full; open a new one."))
    try:
        with transaction.atomic():
            return GroupSeat.objects.create(group=group, consumer=order.consumer, order=order, joined_at=now)
    except IntegrityError:
        raise TradeError(_("You are already in this group.")) from None


def fail_expired_groups(batch: int = 200) -> int:
    """Fail every open group past its time limit: cancel its unpaid orders and queue a full
    refund of each paid one.  Returns how many groups failed."""
    from fenxiao.trade.orders import cancel_order

    now = clock.now()
    failed = 0
    for group_id in Group.objects.filter(status=GroupStatus.OPEN, expires_at__lte=now).values_list(
        "pk", flat=True
    )[:batch]:
        with transaction.atomic():
            group = Group.objects.select_for_update().get(pk=group_id)
            if group.status != GroupStatus.OPEN:
                continue
            group.status = GroupStatus.FAILED
            group.closed_at = now
            group.save(update_fields=["status", "closed_at"])
            for seat in group.seats.filter(cancelled=False).select_related("order"):
                if seat.paid:
                    enqueue(
                        REFUND_JOB,
                        {"order_id": seat.order_id, "group_id": group.pk},
                        unique_key=f"grouprefund:{seat.order_id}",
                    )
                elif seat.order.status == OrderStatus.PENDING_PAYMENT:
                    with contextlib.suppress(TradeError):
                        cancel_order(seat.order_id, actor_label="system", reason="group failed")
            publish(
                "group.failed",
                {"group_id": group.pk, "brand_id": group.deal.brand_id},
                aggregate=f"group:{group.pk}",
            )
            failed += 1
    return failed


@job(REFUND_JOB, max_attempts=20)
def refund_group_order(payload: dict) -> None:
    from fenxiao.trade.refunds import refund_order

    order = Order.objects.get(pk=payload["order_id"])
    left = order.paid_amount - order.refunded_amount
    if left <= 0:
        return
    refund_order(
        order_id=order.pk,
        amount=left,
        reason="group failed",
        reference=f"group:{payload['group_id']}",
    )


def seats_taken(group: Group) -> int:
    return group.seats.filter(cancelled=False).count()


def group_progress(group: Group) -> dict:
    return {
        "paid": group.paid_count,
        "size": group.deal.size,
        "left": max(0, group.deal.size - group.paid_count),
        "seats": seats_taken(group),
    }


__all__ = ["GroupBuyTool", "fail_expired_groups", "take_seat"]
