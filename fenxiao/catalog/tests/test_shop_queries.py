"""The shop's pages run a bounded number of SQL queries whatever the number of products, SKUs or
images: measured with a small and a large catalogue, and capped."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.catalog.models import ProductImage
from fenxiao.core import clock

from .factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

# An anonymous visitor's page: the page's own reads (no session, no user).
MAX_PRODUCT_PAGE = (
    3 + 3
)  # product with brand and category, images, SKUs; marketing offers (flash sales, group deals, coupons)
MAX_LISTING_PAGE = 5  # brand or category, chips, count, one page of products with covers


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def product_with(skus: int, images: int, category=None):
    product = ProductFactory(spec_names=["颜色", "尺码"], category=category)
    for i in range(skus):
        SkuFactory(product=product, spec_values={"颜色": f"色{i % 6}", "尺码": f"码{i // 6}"}, stock=i)
    for i in range(images):
        ProductImage.objects.create(product=product, image=f"p/{i}.jpg", thumbnail=f"p/{i}t.jpg", position=i)
    return product


def add_products(brand, count: int, category) -> None:
    for _ in range(count):
        product = ProductFactory(brand=brand, category=category)
        SkuFactory(product=product)
        SkuFactory(product=product)
        ProductImage.objects.create(product=product, image="a.jpg", thumbnail="at.jpg")
        ProductImage.objects.create(product=product, image="b.jpg", thumbnail="bt.jpg", position=1)


def test_product_page_queries_do_not_grow_with_skus_or_images(client, django_assert_max_num_queries):
    small = queries(client, f"/shop/p/{product_with(skus=1, images=1).pk}/")
    large_product = product_with(skus=30, images=12, category=CategoryFactory(parent=CategoryFactory()))
    large = queries(client, f"/shop/p/{large_product.pk}/")
    assert small == large
    with django_assert_max_num_queries(MAX_PRODUCT_PAGE):
        client.get(f"/shop/p/{large_product.pk}/")


def test_signed_in_consumer_adds_only_the_session_user_and_price_lookup(client):
    """Session, user, one existence check for a distributor's store price (membership or
    binding) and one read of the visitor's member level (member price) — constant, whatever the
    product's size."""
    product = product_with(skus=30, images=12)
    anonymous = queries(client, f"/shop/p/{product.pk}/")
    cache.clear()
    client.force_login(UserFactory())
    assert queries(client, f"/shop/p/{product.pk}/") == anonymous + 4


def test_the_page_data_is_shared_for_a_few_seconds_and_forgotten_on_save(client, settings):
    product = product_with(skus=3, images=1)
    url = f"/shop/p/{product.pk}/"
    assert queries(client, url) == MAX_PRODUCT_PAGE
    assert queries(client, url) == 0  # every visitor within HOT_CACHE_SECONDS: no query at all
    sku = product.skus.order_by("id").first()
    sku.retail_price = sku.price_max = 77700
    sku.save()  # a brand's edit is seen at once
    assert "777.00" in client.get(url).content.decode()
    clock.advance(timedelta(seconds=settings.HOT_CACHE_SECONDS))
    assert queries(client, url) == MAX_PRODUCT_PAGE  # the entry does not outlive its bound
    settings.HOT_CACHE_SECONDS = 0
    assert queries(client, url) == queries(client, url) == MAX_PRODUCT_PAGE


@pytest.mark.parametrize("page", ["store", "category", "search"])
def test_listing_queries_do_not_grow_with_products(client, django_assert_max_num_queries, page):
    brand = BrandFactory(name="山野茶社")
    parent = CategoryFactory()
    category = CategoryFactory(parent=parent)
    url = {
        "store": f"/shop/b/{brand.slug}/",
        "category": f"/shop/c/{parent.pk}/",
        "search": f"/shop/search/?q=山野&c={parent.pk}",
    }[page]
    add_products(brand, 2, category)
    small = queries(client, url)
    add_products(brand, 38, category)
    large = queries(client, url)
    assert small == large
    with django_assert_max_num_queries(MAX_LISTING_PAGE):
        client.get(url)
    with django_assert_max_num_queries(MAX_LISTING_PAGE):
        client.get(url + ("&" if "?" in url else "?") + "page=2")


def test_home_page_queries_do_not_grow_with_products(client):
    brand = BrandFactory()
    category = CategoryFactory()
    add_products(brand, 2, category)
    small = queries(client, "/")
    add_products(brand, 20, category)
    assert queries(client, "/") == small
