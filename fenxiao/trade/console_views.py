"""Brand console: orders list, detail, shipping, CSV export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.aftersales import selectors as aftersales_selectors
from fenxiao.core.money import format_yuan

from . import extensions, fulfilment, selectors
from .forms import OrderFilterForm, ShipForm
from .models import OrderStatus


def _ship_blocker(order) -> str | None:
    """Why a paid order may not ship yet (shown instead of the shipping form), or None."""
    return extensions.ship_blocker(order) if order.status == OrderStatus.PAID else None


def _filtered(request: HttpRequest, brand_id: int):
    form = OrderFilterForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    return form, selectors.brand_orders(
        brand_id,
        q=(criteria.get("q") or "").strip(),
        status=criteria.get("status") or "",
        date_from=criteria.get("date_from"),
        date_to=criteria.get("date_to"),
    )


@brand_console(Perm.ORDERS_VIEW)
def order_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    form, orders = _filtered(request, brand_id)
    page = Paginator(orders, 30).get_page(request.GET.get("page"))
    blocked = extensions.ship_blockers(o for o in page if o.status == OrderStatus.PAID)
    open_aftersales = aftersales_selectors.open_requests_by_order(brand_id, [o.pk for o in page])
    for order in page:
        order.ship_blocked = blocked.get(order.pk)
        order.open_aftersale = open_aftersales.get(order.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trade/console/order_list.html",
        {"brand": request.brand, "form": form, "page": page, "query": query.urlencode()},
    )


@brand_console(Perm.ORDERS_VIEW)
def order_detail(request: HttpRequest, brand_id: int, order_id: int) -> HttpResponse:
    order = selectors.brand_order(brand_id, order_id)
    if order is None:
        raise Http404("No such order in this brand.")
    return _detail_page(request, order, ShipForm())


def _detail_page(request: HttpRequest, order, form: ShipForm, *, status: int = 200) -> HttpResponse:
    """The order page: shipping form (or why the order may not ship) and its open after-sales
    request flagged."""
    order.open_aftersale = aftersales_selectors.open_requests_by_order(order.brand_id, [order.pk]).get(
        order.pk
    )
    return render(
        request,
        "trade/console/order_detail.html",
        {"brand": request.brand, "order": order, "ship_form": form, "ship_blocked": _ship_blocker(order)},
        status=status,
    )


@require_POST
@brand_console(Perm.ORDERS_SHIP)
def order_ship(request: HttpRequest, brand_id: int, order_id: int) -> HttpResponse:
    order = selectors.brand_order(brand_id, order_id)
    if order is None:
        raise Http404("No such order in this brand.")
    form = ShipForm(request.POST)
    quantities = {}
    for line in order.lines.all():
        raw = request.POST.get(f"line-{line.pk}")
        if raw not in (None, ""):
            try:
                quantities[line.pk] = int(raw)
            except ValueError:
                form.add_error(None, _("Quantities are whole numbers."))
    if form.is_valid():
        try:
            fulfilment.ship(
                actor=request.brand_staff,
                order_id=order.pk,
                quantities=quantities or None,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Shipment recorded."))
            return redirect("console:order_detail", brand_id, order.pk)
    return _detail_page(request, order, form, status=400)


class _Echo:
    def write(self, value: str) -> str:
        return value


@brand_console(Perm.ORDERS_VIEW)
def order_export(request: HttpRequest, brand_id: int) -> StreamingHttpResponse:
    """Every order matching the filters, streamed as CSV (UTF-8 with BOM for Excel)."""
    orders = _filtered(request, brand_id)[1]
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"
        yield writer.writerow(
            [
                _("Order number"),
                _("Created"),
                _("Status"),
                _("Items"),
                _("Goods"),
                _("Discount"),
                _("Shipping"),
                _("Paid"),
                _("Refunded"),
                _("Recipient"),
                _("Phone"),
                _("Address"),
            ]
        )
        for order in orders:
            items = "; ".join(
                f"{line.title} {line.spec_label} ×{line.quantity}" for line in order.lines.all()
            )
            a = order.address
            yield writer.writerow(
                [
                    order.order_no,
                    timezone.localtime(order.created_at).isoformat(timespec="seconds"),
                    order.get_status_display(),
                    items,
                    format_yuan(order.goods_amount),
                    format_yuan(order.discount_amount),
                    format_yuan(order.shipping_amount),
                    format_yuan(order.paid_amount),
                    format_yuan(order.refunded_amount),
                    a.get("name", ""),
                    a.get("phone", ""),
                    f"{a.get('province', '')}{a.get('city', '')}{a.get('district', '')}{a.get('detail', '')}",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="orders-{brand_id}-{timezone.localdate():%Y%m%d}.csv"'
    )
    return response


@brand_console(Perm.SETTINGS_MANAGE)
def shipping_rule(request: HttpRequest, brand_id: int) -> HttpResponse:
    from fenxiao.core.money import format_yuan as fy

    from .forms import ShippingRuleForm
    from .models import ShippingRule
    from .shipping import set_shipping_rule

    rule = ShippingRule.objects.filter(brand_id=brand_id).first()
    initial = {}
    if rule:
        initial = {
            "flat_fee": fy(rule.flat_fee),
            "free_over": fy(rule.free_over) if rule.free_over is not None else "",
            "province_fees": "\n".join(f"{k}={fy(v)}" for k, v in rule.province_fees.items()),
        }
    form = ShippingRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            set_shipping_rule(actor=request.brand_staff, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Shipping fees saved."))
            return redirect("console:shipping", brand_id)
    return render(
        request,
        "trade/console/shipping.html",
        {"brand": request.brand, "form": form},
        status=400 if form.errors else 200,
    )
