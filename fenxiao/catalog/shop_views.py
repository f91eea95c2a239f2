"""The consumer H5 shop: brand store, category listing, product page, search.

Thin views over ``shop_selectors``; nothing here writes.  Every price shown is the visitor's one
price (``trade.selectors.visitor_unit_prices``), what checkout charges.  Adding to the cart is the trade app's
``trade:cart_add``, which the product page's form posts to.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from fenxiao.trade import selectors as trade_selectors

from . import shop_selectors as selectors
from .models import Category

MAX_QUERY_LENGTH = 60


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _priced(request: HttpRequest, page: Page) -> Page:
    """Each product of the page gets ``price``: the "from" price this visitor pays."""
    trade_selectors.with_listing_prices(request, page.object_list)
    return page


def brand_store(request: HttpRequest, slug: str) -> HttpResponse:
    brand = selectors.approved_brand(slug)
    if brand is None:
        raise Http404("No such store.")
    category_id = _int(request.GET.get("c"))
    return render(
        request,
        "catalog/shop/brand.html",
        {
            "brand": brand,
            "page": _priced(
                request,
                selectors.listing_page(selectors.brand_listing(brand, category_id), request.GET.get("page")),
            ),
            "categories": selectors.brand_categories(brand),
            "category_id": category_id,
        },
    )


def category(request: HttpRequest, category_id: int) -> HttpResponse:
    current = get_object_or_404(Category.objects.select_related("parent"), pk=category_id)
    top = current.parent or current
    return render(
        request,
        "catalog/shop/category.html",
        {
            "category": current,
            "category_name": selectors.label_of(current),
            "top": top,
            "top_categories": selectors.top_categories(),
            "subcategories": selectors.child_categories(top),
            "subcategory_id": current.pk if current.parent_id else None,
            "page": _priced(
                request, selectors.listing_page(selectors.category_listing(current), request.GET.get("page"))
            ),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    category_id = _int(request.GET.get("c"))
    page = None
    if q or category_id:
        page = _priced(
            request, selectors.listing_page(selectors.search(q, category_id), request.GET.get("page"))
        )
    return render(
        request,
        "catalog/shop/search.html",
        {"q": q, "page": page, "categories": selectors.top_categories(), "category_id": category_id},
    )


def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    detail = selectors.product_page(product_id)
    if detail is None:
        raise Http404("This product is not on sale.")
    if not request.user.is_authenticated and request.GET.get("then"):
        # A guest tapped buy: sign in first, then come back to this SKU and quantity.
        back = f"{request.path}?{urlencode(_chosen(request, detail))}"
        return redirect(f"{reverse('accounts:signin')}?{urlencode({'next': back})}")
    detail = dataclasses.replace(
        detail, unit_prices=trade_selectors.visitor_unit_prices(request, detail.skus)
    )
    category = detail.product.category
    return render(
        request,
        "catalog/shop/product.html",
        {
            "detail": detail,
            "product": detail.product,
            "category_name": selectors.label_of(category) if category else "",
            "chosen": _chosen(request, detail),
        },
    )


def _chosen(request: HttpRequest, detail) -> dict[str, int]:
    """The SKU (of this product) and quantity a link asks to preselect: ``?sku_id=&quantity=``."""
    chosen: dict[str, int] = {}
    try:
        sku_id = int(request.GET.get("sku_id") or 0)
        quantity = int(request.GET.get("quantity") or 1)
    except ValueError:
        return chosen
    if any(sku.pk == sku_id for sku in detail.skus):
        chosen["sku_id"] = sku_id
    if 1 <= quantity <= 999:
        chosen["quantity"] = quantity
    return chosen
