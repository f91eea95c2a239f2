"""Consumer pages: coupon centre and my coupons, a flash sale's page, a group deal and a group
(its share link).  Buying goes through ``trade.checkout.place_order`` with the tool in the
options, so the price is the server's and the same rules apply as at the cart's checkout."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.core import clock
from fenxiao.trade import selectors as trade_selectors
from fenxiao.trade.checkout import place_order
from fenxiao.trade.errors import TradeError

from . import coupons, groups, selectors, soldout
from .models import FlashSale, Group, GroupDeal


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _seconds(delta) -> int:
    return max(0, int(delta.total_seconds()))


def coupon_centre(request: HttpRequest) -> HttpResponse:
    return render(request, "marketing/coupons.html", {"coupons": selectors.shop_coupons()})


@require_POST
@login_required
def claim(request: HttpRequest) -> HttpResponse:
    try:
        coupons.claim_coupon(consumer=request.user, coupon_id=_int(request.POST.get("coupon_id")) or 0)
    except ValidationError as exc:
        return render(
            request,
            "marketing/coupons.html",
            {"coupons": selectors.shop_coupons(), "errors": exc.messages},
            status=400,
        )
    messages.success(request, _("Coupon claimed. It is in My coupons."))
    return redirect("marketing:my_coupons")


@login_required
def my_coupons(request: HttpRequest) -> HttpResponse:
    return render(request, "marketing/my_coupons.html", {"rows": selectors.my_coupons(request.user)})


def _buy(request: HttpRequest, sku, options: dict):
    """Place the order for one unit (or the posted quantity) of ``sku`` with ``options``."""
    quantity = _int(request.POST.get("quantity")) or 1
    options = {**options, "coupons": request.POST.getlist("coupon")}
    return place_order(
        consumer=request.user,
        address_id=_int(request.POST.get("address_id")),
        items=[(sku.pk, quantity)],
        options=options,
    )


def _buy_context(request: HttpRequest, sku, options: dict) -> dict:
    if not request.user.is_authenticated:
        return {}
    addresses = list(trade_selectors.consumer_addresses(request.user))
    chosen = request.POST.getlist("coupon") if request.method == "POST" else request.GET.getlist("coupon")
    preview = trade_selectors.checkout_preview(
        request.user, addresses=addresses, options={**options, "coupons": chosen}, items=[(sku, 1)]
    )
    order = preview.orders[0]
    return {
        "addresses": addresses,
        "preview": preview,
        "order": order,
        "usable": list(coupons.usable_coupons(request.user, brand_ids=[sku.brand_id])),
        "chosen": {int(c) for c in chosen if str(c).isdigit()},
    }


def flash_sale(request: HttpRequest, sale_id: int) -> HttpResponse:
    if request.method == "POST" and request.user.is_authenticated:
        refused = soldout.refusal(sale_id)  # the stampede's fast path: no read once noted sold out
        if refused is not None:
            return refused
    sale = FlashSale.objects.select_related("sku__product__brand").filter(pk=sale_id).first()
    if sale is None:
        raise Http404("No such flash sale.")
    errors = []
    options = {"flash": sale.pk}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/signin/?next={request.path}")
        if sale.sold >= sale.quantity:  # no checkout work once sold out
            return soldout.refuse(sale)
        try:
            checkout = _buy(request, sale.sku, options)
        except TradeError as exc:
            errors = exc.messages
            sale.refresh_from_db(fields=["sold"])
            if sale.sold >= sale.quantity:
                return soldout.refuse(sale, errors)
        else:
            return redirect("payments:pay", checkout.payment.out_trade_no)
    now = clock.now()
    sale.seconds_left = _seconds(sale.ends_at - now)
    sale.seconds_to_start = _seconds(sale.starts_at - now)
    return render(
        request,
        "marketing/flash.html",
        {
            "sale": sale,
            "state": sale.state(now),
            "left": max(0, sale.quantity - sale.sold),
            "errors": errors,
            **_buy_context(request, sale.sku, options),
        },
        status=400 if errors else 200,
    )


def group_deal(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = GroupDeal.objects.select_related("sku__product__brand").filter(pk=deal_id).first()
    if deal is None:
        raise Http404("No such group deal.")
    return _group_page(request, deal, None)


def group_page(request: HttpRequest, group_id: int) -> HttpResponse:
    group = Group.objects.select_related("deal__sku__product__brand").filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group.")
    return _group_page(request, group.deal, group)


def _group_page(request: HttpRequest, deal: GroupDeal, group: Group | None) -> HttpResponse:
    errors = []
    options = {"group": {"deal": deal.pk, "group": group.pk if group else None}}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/signin/?next={request.path}")
        try:
            checkout = _buy(request, deal.sku, options)
        except TradeError as exc:
            errors = exc.messages
        else:
            return redirect("payments:pay", checkout.payment.out_trade_no)
    now = clock.now()
    if group is not None:
        group.seconds_left = _seconds(group.expires_at - now)
    mine = None
    if request.user.is_authenticated and group is None:
        mine = selectors.my_open_group(deal, request.user)
    return render(
        request,
        "marketing/group.html",
        {
            "deal": deal,
            "group": group,
            "mine": mine,
            "progress": groups.group_progress(group) if group else None,
            "joined": bool(
                group and request.user.is_authenticated and selectors.in_group(group, request.user)
            ),
            "state": deal.state(now),
            "now": now,
            "errors": errors,
            **_buy_context(request, deal.sku, options),
        },
        status=400 if errors else 200,
    )
