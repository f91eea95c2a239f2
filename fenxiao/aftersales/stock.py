"""Stock and after-sales: units refunded before they shipped are stock again (and left out of
shipping), goods sent back and received by the brand are stock again, an exchange takes new
units — each at most once per request (``stock_returned``)."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.catalog.models import Product, Sku
from fenxiao.trade.models import Order, OrderLine, OrderStatus

from .models import OPEN_STATUSES, AftersaleRequest, Kind, Status
from .state import AftersalesError


def _give_back(sku_id: int, product_id: int, quantity: int) -> None:
    if quantity > 0:
        Sku.objects.filter(pk=sku_id).update(stock=F("stock") + quantity)
        Product.objects.filter(pk=product_id).update(total_stock=F("total_stock") + quantity)


def units_not_to_ship(order: Order) -> dict[int, int]:
    """Units of the order refunded (and restocked) before they shipped, {line id: units}: shipping
    leaves them out (``AftersalesExtension.units_not_to_ship``)."""
    held: dict[int, int] = {}
    for restocked in AftersaleRequest.objects.filter(order=order, kind=Kind.REFUND_ONLY).values_list(
        "restocked", flat=True
    ):
        for line_id, units in (restocked or {}).items():
            held[int(line_id)] = held.get(int(line_id), 0) + int(units)
    return held


#: Open requests that hold a paid order back from shipping: every open one but a request the
#: brand declined (``REJECTED``); one the consumer escalated (``DISPUTED``) waits for the platform.
HOLDS_SHIPPING = [status for status in OPEN_STATUSES if status != Status.REJECTED]


def open_request_blockers(orders: list[Order]) -> dict[int, str]:
    """{order id: why it may not ship} for the ``orders`` with an open after-sales request (one
    query): shipping waits while the consumer asks for a refund, return or exchange, until the
    brand declines or settles it (``AftersalesExtension.ship_blockers``; the console and the
    REST API both ship through ``trade.fulfilment.ship``, so both refuse)."""
    ids = [order.pk for order in orders]
    if not ids:
        return {}
    open_numbers = dict(
        AftersaleRequest.objects.filter(order_id__in=ids, status__in=HOLDS_SHIPPING)
        .order_by("id")
        .values_list("order_id", "request_no")
    )
    return {
        order_id: _(
            "After-sales request %(no)s is open: answer it before shipping (decline it to ship as it is)."
        )
        % {"no": number}
        for order_id, number in open_numbers.items()
    }


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
