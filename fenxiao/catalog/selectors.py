"""Catalog reads for the brand console."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from .models import Product, ProductStatus, Sku


def brand_products(
    brand_id: int, *, q: str = "", status: str = "", category_id: int | None = None
) -> QuerySet[Product]:
    products = Product.objects.filter(brand_id=brand_id).select_related("category")
    if q:
        products = products.filter(Q(title__icontains=q) | Q(skus__barcode=q)).distinct()
    if status:
        products = products.filter(status=status)
    if category_id:
        products = products.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    return products.prefetch_related(Prefetch("images", to_attr="image_list")).order_by("-id")


def brand_skus_for_bulk_edit(brand_id: int, *, q: str = "") -> QuerySet[Sku]:
    skus = Sku.objects.filter(brand_id=brand_id, is_active=True).select_related("product")
    if q:
        skus = skus.filter(Q(product__title__icontains=q) | Q(barcode=q))
    return skus.order_by("product_id", "id")


def distributable_products(brand_id: int) -> QuerySet[Product]:
    """The brand's products on sale that distributors may sell, with their SKUs."""
    return Product.objects.filter(
        brand_id=brand_id, status=ProductStatus.ON_SALE, distribution_enabled=True
    ).prefetch_related("skus")
