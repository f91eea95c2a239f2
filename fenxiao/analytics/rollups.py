"""Incremental maintenance of the cube: one outbox subscriber per topic (registered in ``jobs``),
idempotent per event.

Every handler first records the event id in ``AppliedEvent`` (unique), in the delivery job's
transaction: an event delivered twice — or already inside the last rebuild (``CubeState``
watermark) — is skipped.  Handlers read the immutable facts of the source row the event names
(an order's amounts and lines, a refund's amount and time, …) and add them to the day the fact
happened, so late or out-of-order events land on their own day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fenxiao.core.models import OutboxEvent

from .models import Applied, CubeState, DailyCustomer, DailyStat, DailyVisitor, Dim

NO_PROVINCE = "—"


def day_of(moment: datetime) -> date:
    return timezone.localdate(moment)


def channel_of(distributor_id: int | None) -> str:
    return "distributor" if distributor_id else "direct"


def province_of(address: dict) -> str:
    return (address or {}).get("province") or NO_PROVINCE


def visitor_key(visitor_id: int | None, session_key: str, visit_id: int) -> str:
    if visitor_id:
        return f"u{visitor_id}"
    return f"s{session_key}" if session_key else f"v{visit_id}"


def order_dims(order) -> list[tuple[str, str]]:
    dims = [
        (Dim.ALL, ""),
        (Dim.CHANNEL, channel_of(order.distributor_id)),
        (Dim.PROVINCE, province_of(order.address)[:40]),
    ]
    if order.distributor_id:
        dims.append((Dim.DISTRIBUTOR, str(order.distributor_id)))
    return dims


def products_of(order) -> dict[int, tuple[int, int]]:
    """{product id: (paid amount, units)} of an order's lines."""
    products: dict[int, tuple[int, int]] = {}
    for line in order.lines.all():
        amount, units = products.get(line.product_id_snapshot, (0, 0))
        products[line.product_id_snapshot] = (amount + line.paid_amount, units + line.quantity)
    return products


def _upsert(model, lookup: dict, increments: dict) -> None:
    updates = {name: F(name) + value for name, value in increments.items() if value}
    if updates and model.objects.filter(**lookup).update(**updates):
        return
    if not updates and model.objects.filter(**lookup).exists():
        return
    try:
        with transaction.atomic():
            model.objects.create(**lookup, **increments)
    except IntegrityError:  # another worker created the row first
        if updates:
            model.objects.filter(**lookup).update(**updates)


def bump(day: date, brand_id: int, dims: Iterable[tuple[str, str]], **counters: int) -> None:
    for dim, key in dims:
        _upsert(DailyStat, {"day": day, "brand_id": brand_id, "dim": dim, "key": key}, counters)


def claim(key: str) -> bool:
    """True exactly once per key."""
    try:
        with transaction.atomic():
            Applied.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def first_time(event: OutboxEvent) -> bool:
    """True exactly once per event: later deliveries and events inside the last rebuild are skipped."""
    state = CubeState.objects.first()
    if state and event.pk <= state.watermark:
        return False
    return claim(f"event:{event.pk}")


def on_order_created(event: OutboxEvent) -> None:
    from fenxiao.trade.models import Order

    if not first_time(event):
        return
    order = Order.objects.get(pk=event.payload["order_id"])
    day = day_of(order.created_at)
    bump(day, order.brand_id, order_dims(order), orders=1, gmv=order.paid_amount)
    for product_id, (amount, _units) in products_of(order).items():
        bump(day, order.brand_id, [(Dim.PRODUCT, str(product_id))], orders=1, gmv=amount)
    _upsert(
        DailyCustomer,
        {
            "day": day,
            "brand_id": order.brand_id,
            "distributor_id": order.distributor_id or 0,
            "consumer_id": order.consumer_id,
        },
        {"orders": 1},
    )


def on_order_paid(event: OutboxEvent) -> None:
    from fenxiao.distribution.models import Commission
    from fenxiao.trade.models import Order

    if not first_time(event):
        return
    order = Order.objects.get(pk=event.payload["order_id"])
    day = day_of(order.paid_at)
    products = products_of(order)
    units = sum(u for _a, u in products.values())
    bump(day, order.brand_id, order_dims(order), paid_orders=1, paid_amount=order.paid_amount, units=units)
    for product_id, (amount, product_units) in products.items():
        bump(
            day,
            order.brand_id,
            [(Dim.PRODUCT, str(product_id))],
            paid_orders=1,
            paid_amount=amount,
            units=product_units,
        )
    _upsert(
        DailyCustomer,
        {
            "day": day,
            "brand_id": order.brand_id,
            "distributor_id": order.distributor_id or 0,
            "consumer_id": order.consumer_id,
        },
        {"paid_orders": 1, "paid_amount": order.paid_amount},
    )
    for commission in Commission.objects.filter(order=order):
        bump(
            day_of(commission.created_at),
            order.brand_id,
            [(Dim.ALL, ""), (Dim.DISTRIBUTOR, str(commission.distributor_id))],
            commission_earned=commission.amount,
        )


def on_order_refunded(event: OutboxEvent) -> None:
    from fenxiao.trade.models import Order

    if not first_time(event):
        return
    order = Order.objects.get(pk=event.payload["order_id"])
    # The hook names the order, not the refund: count each succeeded refund of the order once.
    for refund in refunds_of(order.pk):
        if claim(f"refund:{refund.pk}"):
            bump(
                day_of(refund.finished_at),
                order.brand_id,
                order_dims(order),
                refunds=1,
                refund_amount=refund.amount,
            )


def refunds_of(order_id: int):
    from fenxiao.payments.models import Refund, RefundStatus

    return Refund.objects.filter(
        purpose="checkout", reference__startswith=f"order:{order_id}:", status=RefundStatus.SUCCEEDED
    ).order_by("id")


def on_share_visited(event: OutboxEvent) -> None:
    from fenxiao.distribution.models import Visit

    if not first_time(event):
        return
    visit = Visit.objects.select_related("link").get(pk=event.payload["visit_id"])
    day, link = day_of(visit.at), visit.link
    bump(day, link.brand_id, [(Dim.ALL, ""), (Dim.DISTRIBUTOR, str(link.distributor_id))], visits=1)
    _upsert(
        DailyVisitor,
        {
            "day": day,
            "brand_id": link.brand_id,
            "distributor_id": link.distributor_id,
            "visitor": visitor_key(visit.visitor_id, visit.session_key, visit.pk),
        },
        {},
    )


def on_share_created(event: OutboxEvent) -> None:
    from fenxiao.distribution.models import ShareLink

    if not first_time(event):
        return
    link = ShareLink.objects.get(pk=event.payload["link_id"])
    bump(
        day_of(link.created_at),
        link.brand_id,
        [(Dim.ALL, ""), (Dim.DISTRIBUTOR, str(link.distributor_id))],
        shares=1,
    )


def on_withdrawal_paid(event: OutboxEvent) -> None:
    from fenxiao.distribution.models import Withdrawal

    if not first_time(event):
        return
    withdrawal = Withdrawal.objects.get(pk=event.payload["withdrawal_id"])
    bump(
        day_of(withdrawal.paid_at),
        withdrawal.brand_id,
        [(Dim.ALL, ""), (Dim.DISTRIBUTOR, str(withdrawal.distributor_id))],
        commission_paid=withdrawal.amount,
    )


def on_member_created(event: OutboxEvent) -> None:
    from django.apps import apps

    if not first_time(event):
        return
    member = apps.get_model("crm", "Member").objects.filter(pk=event.payload["member_id"]).first()
    if member is not None:
        bump(day_of(member.created_at), member.brand_id, [(Dim.ALL, "")], new_members=1)
