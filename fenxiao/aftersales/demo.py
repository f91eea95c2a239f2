"""Demo after-sales data on top of the existing demo (``fenxiao.web.demo``): idempotent.

Creates, on the demo consumers' orders: a refund-only request waiting for the brand (paid order),
an approved return with a message from the brand (shipped order), and a rejected return the
consumer escalated to platform arbitration (completed order)."""

from __future__ import annotations

from django.db.models import Q

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import BrandRole
from fenxiao.core.output import line_writer
from fenxiao.trade.models import Order, OrderStatus

from . import services
from .models import AftersaleRequest, Kind


def _handler(order: Order) -> BrandStaff | None:
    return (
        BrandStaff.objects.filter(
            brand_id=order.brand_id, role__in=[BrandRole.CUSTOMER_SERVICE, BrandRole.OWNER, BrandRole.ADMIN]
        )
        .order_by("role")
        .first()
    )


def seed(stdout=None) -> None:
    out = line_writer(stdout)
    demo_orders = Order.objects.filter(consumer__phone__startswith="1370000").order_by("id")
    if AftersaleRequest.objects.filter(order__in=demo_orders).exists():
        out("demo after-sales requests already there")
        return
    made = 0
    paid = demo_orders.filter(status=OrderStatus.PAID).first()
    if paid:
        line = paid.lines.first()
        services.create_request(
            consumer=paid.consumer,
            order_id=paid.pk,
            line_id=line.pk,
            kind=Kind.REFUND_ONLY,
            reason="changed_mind",
            description="拍错了规格，还没发货请直接退款。",
            amount=line.paid_amount,
            quantity=line.quantity,
        )
        made += 1
    shipped = demo_orders.filter(status=OrderStatus.SHIPPED).first()
    if shipped and (staff := _handler(shipped)):
        line = shipped.lines.first()
        item = services.create_request(
            consumer=shipped.consumer,
            order_id=shipped.pk,
            line_id=line.pk,
            kind=Kind.RETURN_REFUND,
            reason="not_as_described",
            description="颜色和图片差别很大。",
            amount=line.paid_amount,
        )
        services.approve(actor=staff, request_id=item.pk, note="同意退货，请在期限内寄回。")
        services.post_message(
            author=staff.user, brand_staff=staff, request_id=item.pk, body="您好，寄回时请保留吊牌，谢谢！"
        )
        made += 1
    completed = demo_orders.filter(Q(status=OrderStatus.COMPLETED)).first()
    if completed and (staff := _handler(completed)):
        line = completed.lines.first()
        item = services.create_request(
            consumer=completed.consumer,
            order_id=completed.pk,
            line_id=line.pk,
            kind=Kind.RETURN_REFUND,
            reason="damaged",
            description="收到时外包装破损，商品有裂痕。",
            amount=line.paid_amount,
        )
        services.reject(actor=staff, request_id=item.pk, note="签收时未反馈破损，无法确认是运输损坏。")
        services.escalate(
            consumer=completed.consumer, request_id=item.pk, note="快递员不让验货，我有开箱照片。"
        )
        made += 1
    out(f"{made} demo after-sales requests (waiting, approved return, in arbitration)")
