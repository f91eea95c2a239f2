import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.accounts.models import BrandStatus
from fenxiao.accounts.tests.factories import BrandFactory
from fenxiao.catalog.models import ProductImage, ProductStatus

from .factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def test_product_page_shows_each_skus_price_and_stock(client):
    product = ProductFactory(title="条纹衬衫", spec_names=["颜色"])
    SkuFactory(product=product, spec_values={"颜色": "红"}, retail_price=8900, stock=3)
    SkuFactory(product=product, spec_values={"颜色": "蓝"}, retail_price=9900, stock=0)
    response = client.get(f"/shop/p/{product.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "¥89.00 – ¥99.00" in body
    data = response.context["sku_data"]
    assert sorted((d["specs"]["颜色"], d["price"], d["stock"]) for d in data) == [
        ("红", 8900, 3),
        ("蓝", 9900, 0),
    ]


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.OFF_SHELF])
def test_unpublished_products_are_hidden(client, status):
    product = ProductFactory(status=status, title="隐藏商品")
    SkuFactory(product=product)
    assert client.get(f"/shop/p/{product.pk}/").status_code == 404
    assert "隐藏商品" not in client.get("/shop/search/?q=隐藏").content.decode()
    assert "隐藏商品" not in client.get(f"/shop/b/{product.brand.slug}/").content.decode()


@pytest.mark.parametrize("status", [BrandStatus.PENDING, BrandStatus.SUSPENDED, BrandStatus.REJECTED])
def test_unapproved_brands_have_no_store(client, status):
    product = ProductFactory(brand=BrandFactory(status=status), title="未审核品牌商品")
    SkuFactory(product=product)
    assert client.get(f"/shop/b/{product.brand.slug}/").status_code == 404
    assert client.get(f"/shop/p/{product.pk}/").status_code == 404
    assert "未审核品牌商品" not in client.get("/shop/search/?q=未审核").content.decode()


def test_search_and_category(client):
    parent = CategoryFactory(name="茶叶", name_en="Tea")
    green = CategoryFactory(name="绿茶", name_en="Green tea", parent=parent)
    tea = ProductFactory(title="明前龙井", category=green)
    SkuFactory(product=tea)
    shirt = ProductFactory(title="纯棉T恤")
    SkuFactory(product=shirt)
    found = client.get("/shop/search/?q=龙井").context["page"].object_list
    assert [p.pk for p in found] == [tea.pk]
    assert "Nothing found" in client.get("/shop/search/?q=咖啡", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    listed = client.get(f"/shop/c/{parent.pk}/").context["page"].object_list
    assert [p.pk for p in listed] == [tea.pk]


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _product_with(skus: int, images: int):
    product = ProductFactory(spec_names=["规格"])
    for i in range(skus):
        SkuFactory(product=product, spec_values={"规格": f"款{i}"})
    for i in range(images):
        ProductImage.objects.create(product=product, image=f"p{i}.jpg", thumbnail=f"t{i}.jpg", position=i)
    return product


def test_product_page_queries_do_not_grow_with_skus_or_images(client):
    small = _count(client, f"/shop/p/{_product_with(1, 1).pk}/")
    large = _count(client, f"/shop/p/{_product_with(30, 12).pk}/")
    assert large == small
    assert small <= 6


def test_store_page_queries_do_not_grow_with_products(client):
    brand = BrandFactory()
    for _ in range(2):
        SkuFactory(product=ProductFactory(brand=brand))
    small = _count(client, f"/shop/b/{brand.slug}/")
    for _ in range(38):
        product = ProductFactory(brand=brand)
        SkuFactory(product=product)
        ProductImage.objects.create(product=product, image="a.jpg", thumbnail="a.jpg")
    large = _count(client, f"/shop/b/{brand.slug}/")
    assert large == small
    assert small <= 8


def test_pages_follow_browser_language(client):
    product = ProductFactory()
    SkuFactory(product=product)
    english = client.get(f"/shop/p/{product.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(f"/shop/p/{product.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "Quantity" in english
    assert "数量" in chinese and "Quantity" not in chinese


def test_language_switch(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert "Brand stores" in response.content.decode()
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert "品牌店铺" in response.content.decode()
