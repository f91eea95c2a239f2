"""The consumer H5 shop: brand store, category listing, product page, search."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from . import shop_selectors as selectors
from .models import Category

PAGE_SIZE = 20


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def brand_store(request: HttpRequest, slug: str) -> HttpResponse:
    brand = selectors.approved_brand(slug)
    if brand is None:
        raise Http404("No such store.")
    category_id = _int(request.GET.get("c"))
    page = Paginator(selectors.brand_listing(brand, category_id), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/shop/brand.html",
        {
            "brand": brand,
            "page": page,
            "categories": selectors.brand_categories(brand),
            "category_id": category_id,
        },
    )


def category(request: HttpRequest, category_id: int) -> HttpResponse:
    cat = get_object_or_404(Category, pk=category_id)
    page = Paginator(selectors.category_listing(cat), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/shop/category.html",
        {
            "category": cat,
            "category_name": cat.display_name(get_language()),
            "page": page,
            "categories": selectors.top_categories(),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    category_id = _int(request.GET.get("c"))
    page = None
    if q or category_id:
        page = Paginator(selectors.search(q, category_id), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/shop/search.html",
        {"q": q, "page": page, "categories": selectors.top_categories(), "category_id": category_id},
    )


def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_for_page(product_id)
    if product is None:
        raise Http404("This product is not on sale.")
    skus = product.sku_list
    prices = [s.retail_price for s in skus]
    sku_data = [{"id": s.pk, "specs": s.spec_values, "price": s.retail_price, "stock": s.stock} for s in skus]
    spec_options = [
        {"name": name, "values": list(dict.fromkeys(str((s.spec_values or {}).get(name, "")) for s in skus))}
        for name in (product.spec_names or [])
    ]
    return render(
        request,
        "catalog/shop/product.html",
        {
            "product": product,
            "skus": skus,
            "sku_data": sku_data,
            "spec_options": spec_options,
            "price_low": min(prices) if prices else 0,
            "price_high": max(prices) if prices else 0,
            "total_stock": sum(s.stock for s in skus),
            "single_sku": skus[0] if len(skus) == 1 else None,
        },
    )
