"""The distributor centre (phone first).  Every view reads only the signed-in distributor's own
store, customers, orders and earnings."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.core.money import MoneyFormatError, parse_yuan
from fenxiao.trade import selectors as trade_selectors

from . import selectors, services, withdrawals
from .models import DistributorMembership, LinkKind
from .posters import render_poster
from .share_cookies import pending_code


def _error(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "distributor", None)
    if request.method == "POST":
        try:
            services.become_distributor(
                user=request.user,
                store_name=request.POST.get("store_name", ""),
                intro=request.POST.get("intro", ""),
            )
        except ValidationError as exc:
            _error(request, exc)
        return redirect("distribution:centre")
    memberships = selectors.memberships_with_wallets(request.user)
    return render(
        request,
        "distribution/centre.html",
        {
            "profile": profile,
            "memberships": memberships,
            "brands": selectors.brands_to_join(joined={m.brand_id for m in memberships}),
            "notices": selectors.distributor_notices(request.user),
            "withdrawals": selectors.distributor_withdrawals(request.user),
        },
    )


@require_POST
@login_required
def join(request: HttpRequest, brand_id: int) -> HttpResponse:
    brand = accounts_selectors.approved_brand(brand_id)
    if brand is None:
        raise Http404("No such brand.")
    answers = {k.removeprefix("answer:"): v for k, v in request.POST.items() if k.startswith("answer:")}
    try:
        invite = request.POST.get("invite") or pending_code(request)
        membership = services.apply_to_brand(
            user=request.user, brand=brand, answers=answers, invite_code=invite
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, membership.get_status_display())
    return redirect("distribution:centre")


def _membership(request: HttpRequest, brand_id: int) -> DistributorMembership:
    membership = selectors.approved_membership(request.user, brand_id)
    if membership is None:
        raise Http404("You are not a distributor of this brand.")
    return membership


@login_required
def market(request: HttpRequest, brand_id: int) -> HttpResponse:
    membership = _membership(request, brand_id)
    if request.method == "POST":
        try:
            for key, value in request.POST.items():
                if key.startswith("price-") and value.strip():
                    services.set_store_price(
                        distributor=request.user,
                        sku_id=int(key.removeprefix("price-")),
                        price=parse_yuan(value),
                    )
        except (ValidationError, PermissionDenied, MoneyFormatError, ValueError) as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Your store prices are saved."))
        return redirect("distribution:market", brand_id)
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.MARKET_SORTS else ""
    try:
        min_rate = max(0, min(10000, int(request.GET.get("min_rate") or 0)))
    except ValueError:
        min_rate = 0
    picked_only = request.GET.get("picked") == "1"
    cards = selectors.market_cards(
        request.user, brand_id, sort=sort, min_rate_bps=min_rate, picked_only=picked_only
    )
    return render(
        request,
        "distribution/market.html",
        {
            "membership": membership,
            "cards": cards,
            "sort": sort,
            "min_rate": min_rate,
            "picked_only": picked_only,
            "rate_choices": (0, 500, 1000, 2000),
        },
    )


@login_required
def share(request: HttpRequest, brand_id: int) -> HttpResponse:
    membership = _membership(request, brand_id)
    store_link = services.share_link(distributor=request.user, brand=membership.brand)
    picked = selectors.picked_products(request.user, brand_id)
    product_links = [
        services.share_link(
            distributor=request.user, brand=membership.brand, kind=LinkKind.PRODUCT, product=p
        )
        for p in picked
    ]
    invite_link = (
        services.share_link(distributor=request.user, brand=membership.brand, kind=LinkKind.INVITE)
        if services.program_for(brand_id).level2_enabled
        else None
    )
    base = request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "distribution/share.html",
        {
            "membership": membership,
            "store_link": store_link,
            "store_qr": qr_svg(f"{base}/s/{store_link.code}"),
            "product_links": product_links,
            "invite_link": invite_link,
            "base": base,
        },
    )


def qr_svg(url: str) -> str:
    """An inline SVG QR code of ``url`` (segno escapes nothing the URL could carry: it draws paths)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, border=2))  # noqa: S308


@login_required
def poster(request: HttpRequest, code: str) -> HttpResponse:
    link = selectors.own_share_link(request.user, code)
    if link is None:
        raise Http404("No such link of yours.")
    price = selectors.poster_price(request.user, link)
    png = render_poster(link, request.build_absolute_uri(f"/s/{link.code}"), price=price)
    return HttpResponse(png, content_type="image/png")


@login_required
def customers(request: HttpRequest) -> HttpResponse:
    bindings = selectors.distributor_customers(request.user)
    return render(request, "distribution/customers.html", {"bindings": bindings})


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    mine = selectors.distributor_earnings(request.user)
    return render(request, "distribution/orders.html", {"orders": mine})


@require_POST
@login_required
def withdraw(request: HttpRequest, brand_id: int) -> HttpResponse:
    membership = _membership(request, brand_id)
    try:
        withdrawals.request_withdrawal(
            distributor=request.user,
            brand=membership.brand,
            amount=parse_yuan(request.POST.get("amount", "")),
            real_name=request.POST.get("real_name", ""),
        )
    except (ValidationError, MoneyFormatError) as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Withdrawal requested."))
    return redirect("distribution:centre")


def micro_store(request: HttpRequest, code: str) -> HttpResponse:
    """A distributor's micro-store for one brand: the goods it picked, each at the visitor's one
    price (the store's own price for a visitor who came through its link, as checkout charges)."""
    link = selectors.store_link(code)
    if link is None or not services.is_active_distributor(link.distributor_id, link.brand_id):
        raise Http404("No such store.")
    picked = selectors.micro_store_items(distributor_id=link.distributor_id, brand_id=link.brand_id)
    prices = trade_selectors.visitor_lowest_prices(request, picked)
    products = {sku.product_id: sku.product for sku in picked}
    decoration, sections = selectors.store_decoration(link.distributor_id)
    featured = selectors.featured_ids(decoration)
    items = [
        {"product": product, "price": prices[pk], "featured": pk in featured, "cover": _cover(product)}
        for pk, product in products.items()
    ]
    return render(
        request,
        "distribution/micro_store.html",
        {
            "link": link,
            "profile": getattr(link.distributor, "distributor", None),
            "items": [i for i in items if not i["featured"]],
            "featured": [i for i in items if i["featured"]],
            "decoration": decoration,
            "sections": sections,
        },
    )


def _cover(product) -> str:
    """The URL of the product's first picture (its thumbnail), or ""."""
    images = list(product.images.all())
    if not images:
        return ""
    return (images[0].thumbnail or images[0].image).url


@login_required
def invitees(request: HttpRequest) -> HttpResponse:
    rows = selectors.distributor_invitees(request.user)
    return render(request, "distribution/invitees.html", {"memberships": rows})


@login_required
def store_settings(request: HttpRequest) -> HttpResponse:
    """The distributor's own micro-store: name, introduction, avatar (validated like product images)."""
    from fenxiao.catalog.images import image_files

    profile = getattr(request.user, "distributor", None)
    if profile is None:
        return redirect("distribution:centre")
    if request.method == "POST":
        try:
            services.become_distributor(
                user=request.user,
                store_name=request.POST.get("store_name", ""),
                intro=request.POST.get("intro", ""),
            )
            upload = request.FILES.get("avatar")
            if upload:
                image, _thumb, _size = image_files(upload, f"d{request.user.pk}")
                profile.refresh_from_db()
                profile.avatar.save(image.name, image, save=True)
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Your store is saved."))
        return redirect("distribution:store_settings")
    return render(request, "distribution/store_settings.html", {"profile": profile})
