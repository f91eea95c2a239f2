"""What may be refunded, paying refunds through the trade app's refund path (gateway, ledger,
commission reversal or claw-back) and giving stock back."""

from __future__ import annotations

import logging

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from fenxiao.catalog.models import Product, Sku
from fenxiao.payments.models import RefundStatus
from fenxiao.trade.models import Order, OrderLine, OrderStatus
from fenxiao.trade.refunds import refund_order

from . import conf
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
    lines = list(order.lines.all())
    shipped_any = any(x.shipped_quantity for x in lines)
    order_cap = order.paid_amount - (order.shipping_amount if shipped_any else 0)
    order_left = order_cap - order.refunded_amount - _reserved(order, exclude_pk=exclude_pk)
    if line is None:
        return max(0, order_left)
    line_refunded = (
        AftersaleRequest.objects.filter(line=line)
        .exclude(pk=exclude_pk)
        .aggregate(s=Sum("refunded_amount"))["s"]
        or 0
    )
    return max(0, min(line.paid_amount - line_refunded, order_left))


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
            return_unshipped_stock(request)
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


def _give_back(sku_id: int, product_id: int, quantity: int) -> None:
    if quantity > 0:
        Sku.objects.filter(pk=sku_id).update(stock=F("stock") + quantity)
        Product.objects.filter(pk=product_id).update(total_stock=F("total_stock") + quantity)


def units_not_to_ship(order: Order) -> dict[int, int]:
    """Trade hook ``UNITS_NOT_TO_SHIP``: units refunded (and restocked) before they shipped."""
    held: dict[int, int] = {}
    for restocked in AftersaleRequest.objects.filter(order=order, kind=Kind.REFUND_ONLY).values_list(
        "restocked", flat=True
    ):
        for line_id, units in (restocked or {}).items():
            held[int(line_id)] = held.get(int(line_id), 0) + int(units)
    return held


def _lines_and_quantities(request: AftersaleRequest, *, shipped: bool) -> list[tuple[OrderLine, int]]:
    lines = [request.line] if request.line_id else list(request.order.lines.all())
    held = {} if shipped else units_not_to_ship(request.order)
    result = []
    for line in lines:
        line.refresh_from_db(fields=["shipped_quantity"])
        available = (
            line.shipped_quantity if shipped else line.quantity - line.shipped_quantity - held.get(line.pk, 0)
        )
        wanted = request.quantity if request.line_id and request.quantity else line.quantity
        result.append((line, min(wanted, available)))
    return result


def _mark_stock_returned(request: AftersaleRequest) -> bool:
    """True once: a conditional update, so no path gives the same goods back twice."""
    done = AftersaleRequest.objects.filter(pk=request.pk, stock_returned=False).update(stock_returned=True)
    request.stock_returned = True
    return done == 1


def return_received_stock(request: AftersaleRequest) -> None:
    """Goods came back to the brand: they are stock again."""
    if _mark_stock_returned(request):
        for line, quantity in _lines_and_quantities(request, shipped=True):
            _give_back(line.sku_id, line.product_id_snapshot, quantity)


def return_unshipped_stock(request: AftersaleRequest) -> None:
    """A refund-only request paid before its goods shipped: the units not shipped are stock again.
    When this refund completed a full refund of the order before anything shipped, the trade app
    cancelled the order in the refund's transaction and gave those units back itself (leaving out
    what earlier requests restocked): nothing is given back twice."""
    if _mark_stock_returned(request):
        if Order.objects.filter(pk=request.order_id, status=OrderStatus.CANCELLED).exists():
            return
        restocked = {}
        for line, quantity in _lines_and_quantities(request, shipped=False):
            _give_back(line.sku_id, line.product_id_snapshot, quantity)
            if quantity > 0:
                restocked[str(line.pk)] = quantity
        request.restocked = restocked
        AftersaleRequest.objects.filter(pk=request.pk).update(restocked=restocked)


def take_exchange_stock(request: AftersaleRequest) -> None:
    """The exchange ships new units: take them from stock, never below zero."""
    for line, quantity in _lines_and_quantities(request, shipped=True):
        if quantity <= 0:
            continue
        taken = Sku.objects.filter(pk=line.sku_id, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            raise AftersalesError(
                _("“%(title)s” is out of stock; add stock before shipping the exchange.")
                % {"title": line.title}
            )
        Product.objects.filter(pk=line.product_id_snapshot, total_stock__gte=quantity).update(
            total_stock=F("total_stock") - quantity
        )
