"""Consumer pages: cart, checkout, addresses, orders.  Prices shown are the server's; any price
a client sends is never read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenxiao.web.redirects import safe_next

from . import cart as cart_service
from . import divisions, fulfilment, orders, selectors
from .addresses import add_address, make_default_address
from .checkout import place_order
from .errors import TradeError
from .forms import AddressForm


def _int(raw, default: int | None = None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    priced = selectors.priced_cart(request)
    return render(request, "trade/cart.html", {"groups": priced.groups, "total": priced.total})


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
    action = request.POST.get("action", "quantity")
    try:
        if action == "delete":
            cart_service.set_cart_quantity(consumer=request.user, item_id=item_id, quantity=0)
            messages.success(request, _("Removed from your cart."))
        elif action == "select":
            cart_service.select_cart_item(
                consumer=request.user, item_id=item_id, selected=request.POST.get("selected") == "1"
            )
        else:
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


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def buy_now(request: HttpRequest) -> HttpResponse:
    """ "Buy now" (立即购买): ``GET ?sku_id=&quantity=`` is the confirm-order page of that one SKU
    (address, price as it will be charged, points, coupons, note); its form POSTs here, straight
    to an order and its payment — no cart row written, read or deleted (the same ``place_order``
    as the checkout).  A refusal comes back to the confirm page, status 400, nothing written."""
    if request.method == "POST":  # the page's data is read only when it is shown (GET or error)
        sku_id, quantity = _int(request.POST.get("sku_id")), _quantity(request.POST)
        try:
            if sku_id is None:
                raise TradeError(_("Choose a specification first."))
            placed = place_order(
                consumer=request.user,
                address_id=_int(request.POST.get("address_id")),
                items=[(sku_id, quantity)],
                note=request.POST.get("note", ""),
                options=_options(request),
            )
        except TradeError as exc:
            return _buy_now_page(request, errors=exc.messages, status=400)
        return redirect("payments:pay", placed.payment.out_trade_no)
    if "csrfmiddlewaretoken" in request.GET:
        # The page's "apply" buttons re-read it by GET; without JavaScript the browser sends the
        # form's CSRF token too: keep it out of the address bar and the history.
        kept = [(k, v) for k, vs in request.GET.lists() if k != "csrfmiddlewaretoken" for v in vs if v]
        return redirect(f"{request.path}?{urlencode(kept)}")
    return _buy_now_page(request)


def _quantity(params) -> int:
    """The quantity asked for: 1 when none is given, 0 (refused) when it is not a number."""
    raw = params.get("quantity")
    return 1 if raw in (None, "") else _int(raw, 0)


def _buy_now_page(
    request: HttpRequest, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    page = selectors.buy_now(
        request.user,
        sku_id=_int(params.get("sku_id")),
        quantity=_quantity(params),
        address_id=_int(params.get("address_id")),
        options=_options(request),
    )
    errors = errors or page.errors
    keep = [("sku_id", page.sku.pk)] if page.sku else []
    keep.append(("quantity", max(page.quantity, 1)))
    here = f"{reverse('trade:buy_now')}?{urlencode(keep)}"
    if page.address:
        keep.append(("address_id", page.address.pk))
    keep += [("coupon", c) for c in params.getlist("coupon")]
    context = {
        "buy": page,
        "errors": errors,
        "note": params.get("note", "")[:200],
        "here": here,  # this SKU and quantity: where adding an address comes back to
        "keep_query": urlencode(keep),  # the page's choices, kept by the points links
    }
    return render(request, "trade/buy_now.html", context, status=400 if errors else status)


def _checkout_page(
    request: HttpRequest, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    addresses = list(selectors.consumer_addresses(request.user))
    preview = selectors.checkout_preview(request.user, addresses=addresses, options=_options(request))
    context = {"addresses": addresses, "preview": preview}
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


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_address(consumer=request.user, **form.cleaned_data)
        except ValidationError as exc:  # the form checked the codes; this is the service's own check
            form.add_error(None, exc)
        else:
            return redirect(safe_next(request, default=reverse("trade:addresses")))
    return render(
        request,
        "trade/addresses.html",
        {
            "form": form,
            "addresses": selectors.consumer_addresses(request.user),
            "next": request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


ORDER_TAB_LABELS = [
    ("all", pgettext_lazy("order tab", "All")),
    ("unpaid", pgettext_lazy("order tab", "To pay")),
    ("to_ship", pgettext_lazy("order tab", "To ship")),
    ("to_receive", pgettext_lazy("order tab", "To receive")),
    ("aftersales", pgettext_lazy("order tab", "After-sales")),
]


@require_GET
@cache_control(public=True, max_age=86400)
def division_list(request: HttpRequest) -> JsonResponse:
    """GB/T 2260 divisions for the address picker: the provinces, or the children of ``?parent=``.

    Public, read-only reference data.  An unknown parent is a 404 with a message, nothing else.
    """
    parent = request.GET.get("parent", "").strip()
    try:
        found = divisions.children_of(parent) if parent else divisions.provinces()
    except divisions.UnknownDivision as exc:
        return JsonResponse({"error": exc.messages[0]}, status=404)
    return JsonResponse(
        {"parent": parent or None, "divisions": [{"code": d.code, "name": d.name} for d in found]}
    )


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "all")
    if tab not in selectors.ORDER_TABS:
        tab = "all"
    orders = list(selectors.consumer_order_tab(request.user, tab)[:50])
    selectors.attach_pictures(orders)
    return render(request, "trade/order_list.html", {"orders": orders, "tab": tab, "tabs": ORDER_TAB_LABELS})


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.consumer_order(request.user, order_id)
    if order is None:
        raise Http404("No such order.")
    selectors.attach_pictures([order])
    return render(request, "trade/order_detail.html", {"order": order})


@require_POST
@login_required
def order_action(request: HttpRequest, order_id: int) -> HttpResponse:
    if not selectors.consumer_has_order(request.user, order_id):
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
    address = selectors.consumer_address(request.user, address_id)
    if address is None:
        raise Http404("No such address.")
    if request.POST.get("action") == "delete":
        address.delete()
        messages.success(request, _("Address deleted."))
    elif request.POST.get("action") == "default":
        make_default_address(address)
        messages.success(request, _("Default address set."))
    return redirect("trade:addresses")
