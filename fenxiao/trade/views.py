"""Consumer pages: cart, checkout, addresses, orders.  Prices shown are the server's; any price
a client sends is never read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.web.redirects import safe_next

from . import cart as cart_service
from . import fulfilment, orders, selectors
from .addresses import add_address, make_default_address
from .checkout import place_order, price_for
from .errors import TradeError
from .forms import AddressForm
from .models import Address, Order


def _int(raw, default: int | None = None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    items = list(cart_service.cart_items(request.user))
    groups: dict = {}
    for item in items:
        groups.setdefault(item.sku.product.brand, []).append(item)
    # The prices checkout will charge (a distributor's store price where one applies).
    priced = (
        price_for(consumer=request.user, items=[(i.sku, i.quantity) for i in items], province="")[0]
        if items
        else None
    )
    unit_prices = {
        line.sku.pk: line.unit_price for order in (priced.orders if priced else []) for line in order.lines
    }
    for item in items:
        item.unit_price = unit_prices.get(item.sku_id, item.sku.retail_price)
    total = sum(item.unit_price * item.quantity for item in items)
    return render(request, "trade/cart.html", {"groups": groups, "total": total})


@require_POST
@login_required
def cart_add(request: HttpRequest) -> HttpResponse:
    sku_id, quantity = _int(request.POST.get("sku_id")), _int(request.POST.get("quantity"), 0)
    try:
        if sku_id is None:
            raise TradeError(_("Choose a specification first."))
        cart_service.add_to_cart(consumer=request.user, sku_id=sku_id, quantity=quantity)
    except TradeError as exc:
        return _back(request, status=400, message=exc.messages)
    if request.POST.get("then") == "checkout":
        return redirect("trade:checkout")
    messages.success(request, _("Added to your cart."))
    return redirect("trade:cart")


def _back(request: HttpRequest, *, status: int, message: list[str]) -> HttpResponse:
    return render(request, "trade/problem.html", {"messages_list": message}, status=status)


@require_POST
@login_required
def cart_update(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        cart_service.set_cart_quantity(
            consumer=request.user, item_id=item_id, quantity=_int(request.POST.get("quantity"), -1)
        )
    except TradeError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("trade:cart")


@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":  # the page's data is read only when it is shown (GET or error)
        try:
            placed = place_order(
                consumer=request.user,
                address_id=_int(request.POST.get("address_id")),
                note=request.POST.get("note", ""),
                options=_options(request),
            )
        except TradeError as exc:
            return _checkout_page(request, errors=exc.messages, status=400)
        return redirect("payments:pay", placed.payment.out_trade_no)
    return _checkout_page(request)


def _checkout_page(
    request: HttpRequest, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    addresses = list(Address.objects.filter(consumer=request.user))
    items = list(cart_service.cart_items(request.user))
    context = {"addresses": addresses, "preview": _preview(request, items, addresses)}
    if errors:
        context["errors"] = errors
    return render(request, "trade/checkout.html", context, status=status)


def _options(request) -> dict:
    """The buyer's pricing choices: ``use_points`` (brand ids) redeems as many points as allowed."""
    chosen = (
        request.POST.getlist("use_points") if request.method == "POST" else request.GET.getlist("use_points")
    )
    coupons = request.POST.getlist("coupon") if request.method == "POST" else request.GET.getlist("coupon")
    return {"points": {int(b): 10**9 for b in chosen if b.isdigit()}, "coupons": coupons}


def _preview(request, items, addresses):
    if not items:
        return None
    province = addresses[0].province if addresses else ""
    return price_for(
        consumer=request.user,
        items=[(i.sku, i.quantity) for i in items],
        province=province,
        options=_options(request),
    )[0]


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        add_address(consumer=request.user, **form.cleaned_data)
        return redirect(safe_next(request, default=reverse("trade:addresses")))
    return render(
        request,
        "trade/addresses.html",
        {
            "form": form,
            "addresses": Address.objects.filter(consumer=request.user),
            "next": request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    return render(request, "trade/order_list.html", {"orders": selectors.consumer_orders(request.user)[:50]})


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.consumer_order(request.user, order_id)
    if order is None:
        raise Http404("No such order.")
    return render(request, "trade/order_detail.html", {"order": order})


@require_POST
@login_required
def order_action(request: HttpRequest, order_id: int) -> HttpResponse:
    if not Order.objects.filter(pk=order_id, consumer=request.user).exists():
        raise Http404("No such order.")
    try:
        if request.POST.get("action") == "cancel":
            orders.cancel_order(
                order_id, actor=request.user, actor_label="consumer", reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Order cancelled."))
        elif request.POST.get("action") == "confirm":
            fulfilment.confirm_receipt(consumer=request.user, order_id=order_id)
            messages.success(request, _("Thank you! Receipt confirmed."))
        else:
            raise TradeError(_("Unknown action."))
    except ValidationError as exc:
        return _back(request, status=400, message=exc.messages)
    return redirect("trade:order_detail", order_id)


@require_POST
@login_required
def address_action(request: HttpRequest, address_id: int) -> HttpResponse:
    """Delete an address or make it the default (only one's own; orders keep their snapshot)."""
    address = Address.objects.filter(pk=address_id, consumer=request.user).first()
    if address is None:
        raise Http404("No such address.")
    if request.POST.get("action") == "delete":
        address.delete()
        messages.success(request, _("Address deleted."))
    elif request.POST.get("action") == "default":
        make_default_address(address)
        messages.success(request, _("Default address set."))
    return redirect("trade:addresses")
