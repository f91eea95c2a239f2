"""Refunds of after-sales requests: what a request may still ask for (``trade.refund_split``'s
cap), and paying it through the trade app's refund path (gateway, ledger, commission reversal or
claw-back), retried until it succeeds."""

from __future__ import annotations

import logging

from django.db.models import Sum
from django.utils.translation import gettext as _

from fenxiao.payments.models import RefundStatus
from fenxiao.trade import refund_split
from fenxiao.trade.models import Order, OrderLine
from fenxiao.trade.refunds import refund_order

from . import conf, stock
from .models import OPEN_STATUSES, AftersaleRequest, Kind, Status
from .state import AftersalesError, move

log = logging.getLogger("fenxiao.aftersales")


def _reserved(order: Order, *, exclude_pk: int | None = None) -> int:
    """Fen other open requests of the order may still refund."""
    open_requests = AftersaleRequest.objects.filter(order=order, status__in=OPEN_STATUSES).exclude(
        pk=exclude_pk
    )
    return sum(r.amount - r.refunded_amount for r in open_requests)


def refundable(order: Order, line: OrderLine | None, *, exclude_pk: int | None = None) -> int:
    """The most a new request may ask for: what was paid (for the line, or for the whole order)
    minus what was refunded and what other open requests may still take.  Shipping counts only
    when nothing of the order has shipped."""
    order_left = refund_split.refund_cap(
        paid=order.paid_amount,
        shipping=order.shipping_amount,
        shipped_any=any(x.shipped_quantity for x in order.lines.all()),
        refunded=order.refunded_amount,
        reserved=_reserved(order, exclude_pk=exclude_pk),
    )
    if line is None:
        return order_left
    line_refunded = (
        AftersaleRequest.objects.filter(line=line)
        .exclude(pk=exclude_pk)
        .aggregate(s=Sum("refunded_amount"))["s"]
        or 0
    )
    return refund_split.line_refund_cap(
        line_paid=line.paid_amount, line_refunded=line_refunded, order_cap=order_left
    )


def pay_refund(
    request: AftersaleRequest, amount: int, *, actor=None, actor_label: str, note: str = ""
) -> None:
    """Approve ``amount`` for a (locked) request and refund it through the gateway.  The refund is
    idempotent per attempt; a pending refund is finished by the ``aftersales.sync_refunds`` timer."""
    if amount <= 0 or amount > request.amount:
        raise AftersalesError(
            _("The refund must be between ¥0.01 and the ¥%(max)s requested.")
            % {"max": f"{request.amount / 100:.2f}"}
        )
    request.approved_amount = amount
    move(
        request,
        Status.REFUNDING,
        actor=actor,
        actor_label=actor_label,
        note=note,
        fields=("approved_amount",),
    )
    _attempt(request)


def _attempt(request: AftersaleRequest) -> None:
    request.refund_attempts += 1
    refund = refund_order(
        order_id=request.order_id,
        amount=request.approved_amount - request.refunded_amount,
        reason=f"after-sales {request.request_no}",
        reference=f"aftersale:{request.pk}:{request.refund_attempts}",
    )
    request.refund = refund
    request.save(update_fields=["refund", "refund_attempts"])
    _settle_attempt(request)


def _settle_attempt(request: AftersaleRequest) -> None:
    refund = request.refund
    if refund.status == RefundStatus.SUCCEEDED:
        request.refunded_amount = request.refunded_amount + refund.amount
        if request.kind == Kind.REFUND_ONLY:
            stock.return_unshipped_stock(request)
        move(
            request,
            Status.REFUNDED,
            actor_label="payment",
            note=refund.out_refund_no,
            fields=("refunded_amount",),
            is_decision=False,
        )
    elif refund.status == RefundStatus.FAILED:
        log.warning(
            "refund %s for %s failed: %s", refund.out_refund_no, request.request_no, refund.failure_reason
        )


def sync_refund(request: AftersaleRequest) -> None:
    """For a (locked) request in *refunding*: take a finished refund into account, retry a failed one."""
    if request.status != Status.REFUNDING or request.refund_id is None:
        return
    request.refund.refresh_from_db()
    if request.refund.status == RefundStatus.FAILED:
        if request.refund_attempts < conf.MAX_REFUND_ATTEMPTS:
            _attempt(request)
        return
    _settle_attempt(request)
