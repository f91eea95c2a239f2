"""Reads for the consumer H5 shop: only approved brands' on-sale products, in a bounded number
of queries whatever the number of products, SKUs or images."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from fenxiao.accounts.models import Brand, BrandStatus

from .models import Category, Product, ProductImage, ProductStatus, Sku


def visible_products() -> QuerySet[Product]:
    return Product.objects.filter(status=ProductStatus.ON_SALE, brand__status=BrandStatus.APPROVED)


def _for_listing(products: QuerySet[Product]) -> QuerySet[Product]:
    first_images = ProductImage.objects.order_by("position", "id")
    return (
        products.select_related("brand")
        .prefetch_related(Prefetch("images", queryset=first_images, to_attr="image_list"))
        .order_by("-id")
    )


def approved_brand(slug: str) -> Brand | None:
    return Brand.objects.filter(slug=slug, status=BrandStatus.APPROVED).first()


def brand_listing(brand: Brand, category_id: int | None = None) -> QuerySet[Product]:
    products = visible_products().filter(brand=brand)
    if category_id:
        products = products.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    return _for_listing(products)


def brand_categories(brand: Brand) -> list[Category]:
    ids = visible_products().filter(brand=brand).exclude(category=None).values("category_id")
    return list(Category.objects.filter(pk__in=ids).order_by("position", "id"))


def category_listing(category: Category) -> QuerySet[Product]:
    return _for_listing(visible_products().filter(Q(category=category) | Q(category__parent=category)))


def search(q: str, category_id: int | None = None) -> QuerySet[Product]:
    products = visible_products()
    for word in q.split()[:5]:
        products = products.filter(
            Q(title__icontains=word) | Q(brand__name__icontains=word) | Q(subtitle__icontains=word)
        )
    if category_id:
        products = products.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    return _for_listing(products)


def top_categories() -> list[Category]:
    return list(Category.objects.filter(parent=None).order_by("position", "id"))


def product_for_page(product_id: int) -> Product | None:
    return (
        visible_products()
        .filter(pk=product_id)
        .select_related("brand", "category")
        .prefetch_related(
            Prefetch(
                "images", queryset=ProductImage.objects.order_by("position", "id"), to_attr="image_list"
            ),
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True).order_by("id"), to_attr="sku_list"),
        )
        .first()
    )
