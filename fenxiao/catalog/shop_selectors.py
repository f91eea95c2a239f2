"""Reads for the consumer H5 shop.

Consumers see only on-sale products of approved brands.  Every page reads a bounded number of
queries whatever the number of products, SKUs or images: listings carry their cover thumbnail as
an annotation (no per-product image query), the product page prefetches its images and SKUs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import get_language

from fenxiao.accounts.models import Brand, BrandStatus
from fenxiao.core import hotcache
from fenxiao.core.money import format_yuan

from .models import Category, Product, ProductImage, ProductStatus, Sku

PAGE_SIZE = 20
MAX_SEARCH_WORDS = 5


# --- listings -------------------------------------------------------------------------------


def visible_products() -> QuerySet[Product]:
    """Everything a consumer may see: on sale, from an approved brand."""
    return Product.objects.filter(status=ProductStatus.ON_SALE, brand__status=BrandStatus.APPROVED)


def _in_category(category_id: int) -> Q:
    """A category and its children (the shop uses a two-level tree)."""
    return Q(category_id=category_id) | Q(category__parent_id=category_id)


def _for_listing(products: QuerySet[Product]) -> QuerySet[Product]:
    cover = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return (
        products.select_related("brand")
        .annotate(cover_thumbnail=Subquery(cover.values("thumbnail")[:1]))
        .order_by("-id")
    )


def listing_page(products: QuerySet[Product], number: str | int | None) -> Page:
    """One page of a listing; each product gets ``cover_url`` (its first image's thumbnail, or "")."""
    page = Paginator(products, PAGE_SIZE).get_page(number)
    _attach_cover_urls(page)
    return page


def _attach_cover_urls(products: Iterable[Product]) -> None:
    for product in products:
        product.cover_url = default_storage.url(product.cover_thumbnail) if product.cover_thumbnail else ""


def approved_brand(slug: str) -> Brand | None:
    return Brand.objects.filter(slug=slug, status=BrandStatus.APPROVED).first()


def brand_listing(brand: Brand, category_id: int | None = None) -> QuerySet[Product]:
    products = visible_products().filter(brand=brand)
    if category_id:
        products = products.filter(_in_category(category_id))
    return _for_listing(products)


def category_listing(category: Category) -> QuerySet[Product]:
    return _for_listing(visible_products().filter(_in_category(category.pk)))


def search(q: str, category_id: int | None = None) -> QuerySet[Product]:
    """Products whose title, subtitle or brand name contains every word of ``q``."""
    products = visible_products()
    for word in q.split()[:MAX_SEARCH_WORDS]:
        products = products.filter(
            Q(title__icontains=word) | Q(subtitle__icontains=word) | Q(brand__name__icontains=word)
        )
    if category_id:
        products = products.filter(_in_category(category_id))
    return _for_listing(products)


def newest_products(limit: int = 10) -> list[Product]:
    products = list(_for_listing(visible_products())[:limit])
    _attach_cover_urls(products)
    return products


# --- categories -----------------------------------------------------------------------------


def _labelled(categories: Iterable[Category]) -> list[Category]:
    """The categories with ``label`` set to their name in the current language."""
    language = get_language()
    result = list(categories)
    for category in result:
        category.label = category.display_name(language)
    return result


def label_of(category: Category) -> str:
    return category.display_name(get_language())


def top_categories() -> list[Category]:
    return _labelled(Category.objects.filter(parent=None).order_by("position", "id"))


def child_categories(category: Category) -> list[Category]:
    return _labelled(Category.objects.filter(parent=category).order_by("position", "id"))


def brand_categories(brand: Brand) -> list[Category]:
    """The categories the brand has goods on sale in."""
    used = visible_products().filter(brand=brand).exclude(category=None).values("category_id")
    return _labelled(Category.objects.filter(pk__in=used).order_by("position", "id"))


# --- the product page -----------------------------------------------------------------------


@dataclass(frozen=True)
class SpecGroup:
    """One option group of the SKU picker: a spec name and the values some SKU has."""

    name: str
    values: list[str]


@dataclass(frozen=True)
class ProductPage:
    product: Product
    images: list[ProductImage]
    skus: list[Sku]
    spec_groups: list[SpecGroup]
    unit_prices: Mapping[int, int] = field(default_factory=dict)

    def price_of(self, sku: Sku) -> int:
        """What this visitor pays: a distributor's store price when one applies, else retail."""
        return self.unit_prices.get(sku.pk, sku.retail_price)

    @property
    def price_low(self) -> int:
        return min((self.price_of(s) for s in self.skus), default=0)

    @property
    def price_high(self) -> int:
        return max((self.price_of(s) for s in self.skus), default=0)

    @property
    def total_stock(self) -> int:
        return sum(s.stock for s in self.skus)

    @property
    def single_sku(self) -> Sku | None:
        return self.skus[0] if len(self.skus) == 1 else None

    def spec_label(self, sku: Sku) -> str:
        """The SKU's spec values in the picker's order ("红 / L"); PostgreSQL's jsonb does not keep
        the order the keys were written in."""
        specs = sku.spec_values or {}
        return " / ".join(str(specs[g.name]) for g in self.spec_groups if g.name in specs)

    @property
    def sku_choices(self) -> list[tuple[Sku, str, int]]:
        return [(sku, self.spec_label(sku), self.price_of(sku)) for sku in self.skus]

    @property
    def sku_data(self) -> list[dict]:
        """What the picker's script needs, per SKU (rendered with ``json_script``)."""
        return [
            {
                "id": sku.pk,
                "specs": {name: str(value) for name, value in (sku.spec_values or {}).items()},
                "price": self.price_of(sku),
                "price_display": "¥" + format_yuan(self.price_of(sku)),
                "stock": sku.stock,
            }
            for sku in self.skus
        ]


def _spec_groups(spec_names: list[str], skus: list[Sku]) -> list[SpecGroup]:
    """One group per spec name (the product's order, then any name only SKUs carry), with the
    values that exist, in the order the SKUs were made."""
    names = list(dict.fromkeys([*(spec_names or []), *(k for s in skus for k in (s.spec_values or {}))]))
    groups = []
    for name in names:
        values = [str(s.spec_values[name]) for s in skus if str((s.spec_values or {}).get(name, "")).strip()]
        if values:
            groups.append(SpecGroup(name=str(name), values=list(dict.fromkeys(values))))
    return groups


PRODUCT_PAGE_CACHE = "catalog.product_page"


def product_page(product_id: int) -> ProductPage | None:
    """The product page's data, or None when consumers may not see the product: three queries,
    shared by every visitor for a few seconds (``core.hotcache``; ``catalog.signals`` forgets it
    when the product, a SKU or an image changes)."""
    return hotcache.cached(PRODUCT_PAGE_CACHE, product_id, lambda: _product_page(product_id))


def _product_page(product_id: int) -> ProductPage | None:
    product = (
        visible_products()
        .filter(pk=product_id)
        .select_related("brand", "category", "category__parent")
        .prefetch_related(
            Prefetch(
                "images", queryset=ProductImage.objects.order_by("position", "id"), to_attr="image_list"
            ),
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True).order_by("id"), to_attr="sku_list"),
        )
        .first()
    )
    if product is None:
        return None
    return ProductPage(
        product=product,
        images=product.image_list,
        skus=product.sku_list,
        spec_groups=_spec_groups(product.spec_names, product.sku_list),
    )
