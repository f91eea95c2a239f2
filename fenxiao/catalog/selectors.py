"""Catalog reads for the brand console."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from .models import Category, Product, ProductStatus, Sku


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


def category(category_id: int) -> Category | None:
    return Category.objects.filter(pk=category_id).first()


def brand_products_with_skus(brand_id: int, *, status: str | None = None) -> QuerySet[Product]:
    """The brand's products with their SKUs, optionally of one shelf status."""
    products = Product.objects.filter(brand_id=brand_id).prefetch_related("skus")
    return products.filter(status=status) if status else products


def brand_product(brand_id: int, product_id: int) -> Product | None:
    """One of the brand's products, with its SKUs, or None."""
    return brand_products_with_skus(brand_id).filter(pk=product_id).first()


def brand_sku(brand_id: int, sku_id: int, *, lock: bool = False) -> Sku | None:
    """One of the brand's SKUs, or None; ``lock`` takes its row lock (inside a transaction)."""
    skus = Sku.objects.filter(pk=sku_id, brand_id=brand_id)
    return (skus.select_for_update() if lock else skus).first()
