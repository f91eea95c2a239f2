"""The H5 shop's listings: who may see what, the store page, categories and search."""

import pytest

from fenxiao.accounts.models import BrandStatus
from fenxiao.accounts.tests.factories import BrandFactory
from fenxiao.catalog.models import ProductImage, ProductStatus
from fenxiao.catalog.shop_selectors import PAGE_SIZE

from .factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def on_sale(**kwargs):
    """An on-sale product with one SKU (prices and stock come from the SKU)."""
    sku_fields = {k: kwargs.pop(k) for k in ("retail_price", "stock") if k in kwargs}
    product = ProductFactory(**kwargs)
    SkuFactory(product=product, **sku_fields)
    product.refresh_from_db()
    return product


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [p.pk for p in response.context["page"].object_list]


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.OFF_SHELF])
def test_unpublished_products_are_neither_listed_nor_reachable(client, status):
    hidden = on_sale(status=status, title="隐藏商品")
    visible = on_sale(brand=hidden.brand, title="在售商品", category=CategoryFactory())
    hidden.category = visible.category
    hidden.save()

    assert client.get(f"/shop/p/{hidden.pk}/").status_code == 404
    assert client.get(f"/shop/p/{visible.pk}/").status_code == 200
    assert listed(client.get(f"/shop/b/{hidden.brand.slug}/")) == [visible.pk]
    assert listed(client.get(f"/shop/c/{visible.category_id}/")) == [visible.pk]
    assert listed(client.get("/shop/search/?q=商品")) == [visible.pk]


@pytest.mark.parametrize("status", [BrandStatus.PENDING, BrandStatus.SUSPENDED, BrandStatus.REJECTED])
def test_brands_that_are_not_approved_have_no_store_and_no_goods(client, status):
    category = CategoryFactory()
    product = on_sale(brand=BrandFactory(status=status), title="未审核品牌商品", category=category)
    assert client.get(f"/shop/b/{product.brand.slug}/").status_code == 404
    assert client.get(f"/shop/p/{product.pk}/").status_code == 404
    assert listed(client.get("/shop/search/?q=未审核")) == []
    assert listed(client.get(f"/shop/c/{category.pk}/")) == []
    assert product.title not in client.get("/").content.decode()


def test_unknown_store_product_and_category_are_404(client):
    assert client.get("/shop/b/no-such-brand/").status_code == 404
    assert client.get("/shop/p/999999/").status_code == 404
    assert client.get("/shop/c/999999/").status_code == 404


def test_store_page_shows_the_brand_and_its_goods_at_their_lowest_price(client, settings):
    brand = BrandFactory(name="山野茶社", description="高山茶园直供。\n从茶园到茶杯。")
    product = ProductFactory(brand=brand, title="明前龙井")
    SkuFactory(product=product, retail_price=12800)
    SkuFactory(product=product, retail_price=6800)
    ProductImage.objects.create(product=product, image="x/a.jpg", thumbnail="x/a-thumb.jpg", position=1)
    ProductImage.objects.create(product=product, image="x/b.jpg", thumbnail="x/b-thumb.jpg", position=0)
    on_sale(title="别家的茶")  # another brand's

    response = client.get(f"/shop/b/{brand.slug}/")
    body = response.content.decode()
    assert listed(response) == [product.pk]
    assert "山野茶社" in body and "高山茶园直供。<br>从茶园到茶杯。" in body
    assert "¥68.00" in body and "¥128.00" not in body
    assert f'src="{settings.MEDIA_URL}x/b-thumb.jpg"' in body  # the first picture's thumbnail
    assert "别家的茶" not in body
    assert "1 item on sale" in body


def test_store_category_chips_filter_the_goods(client):
    brand = BrandFactory()
    tea = CategoryFactory(name="茶叶", name_en="Tea")
    green = CategoryFactory(name="绿茶", name_en="Green tea", parent=tea)
    ware = CategoryFactory(name="茶具", name_en="Teaware")
    longjing = on_sale(brand=brand, category=green)
    teapot = on_sale(brand=brand, category=ware)
    CategoryFactory(name="家纺")  # nothing of this brand in it: no chip

    response = client.get(f"/shop/b/{brand.slug}/")
    assert [c.name for c in response.context["categories"]] == ["绿茶", "茶具"]
    assert set(listed(response)) == {longjing.pk, teapot.pk}
    assert listed(client.get(f"/shop/b/{brand.slug}/?c={ware.pk}")) == [teapot.pk]
    # A parent category covers its children.
    assert listed(client.get(f"/shop/b/{brand.slug}/?c={tea.pk}")) == [longjing.pk]
    assert "No goods in this category yet." in client.get(f"/shop/b/{brand.slug}/?c=999999").content.decode()


def test_store_pages_through_its_goods(client):
    brand = BrandFactory()
    products = [on_sale(brand=brand) for _ in range(PAGE_SIZE + 3)]
    first = client.get(f"/shop/b/{brand.slug}/")
    second = client.get(f"/shop/b/{brand.slug}/?page=2")
    assert len(listed(first)) == PAGE_SIZE
    assert listed(second) == [p.pk for p in products[:3]][::-1]  # newest first
    assert 'href="?page=2"' in first.content.decode()
    assert listed(client.get(f"/shop/b/{brand.slug}/?page=99")) == listed(second)  # past the end: last page


def test_category_lists_its_own_and_its_childrens_goods(client):
    tea = CategoryFactory(name="茶叶", name_en="Tea")
    green = CategoryFactory(name="绿茶", name_en="Green tea", parent=tea)
    black = CategoryFactory(name="红茶", name_en="Black tea", parent=tea)
    longjing = on_sale(category=green)
    dianhong = on_sale(category=black)
    on_sale(category=CategoryFactory(name="家纺"))
    on_sale()  # no category

    response = client.get(f"/shop/c/{tea.pk}/")
    assert set(listed(response)) == {longjing.pk, dianhong.pk}
    assert [c.name for c in response.context["subcategories"]] == ["绿茶", "红茶"]
    assert listed(client.get(f"/shop/c/{green.pk}/")) == [longjing.pk]
    child_page = client.get(f"/shop/c/{green.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert child_page.context["subcategory_id"] == green.pk and "<h1" in child_page.content.decode()
    assert ">Green tea</h1>" in child_page.content.decode()


def test_search_matches_title_subtitle_and_brand_name_with_every_word(client):
    brand = BrandFactory(name="山野茶社")
    longjing = on_sale(brand=brand, title="明前龙井", subtitle="春茶")
    teapot = on_sale(brand=brand, title="紫砂壶")
    other = on_sale(title="龙井茶杯", brand=BrandFactory(name="织物生活"))

    assert set(listed(client.get("/shop/search/?q=龙井"))) == {longjing.pk, other.pk}
    assert set(listed(client.get("/shop/search/?q=山野"))) == {longjing.pk, teapot.pk}
    assert listed(client.get("/shop/search/?q=春茶")) == [longjing.pk]
    assert listed(client.get("/shop/search/?q=龙井 山野")) == [longjing.pk]


def test_search_category_filter_and_empty_states(client):
    tea = CategoryFactory(name="茶叶", name_en="Tea")
    longjing = on_sale(title="明前龙井", category=CategoryFactory(parent=tea))
    on_sale(title="龙井茶杯", category=CategoryFactory(name="茶具"))

    assert listed(client.get(f"/shop/search/?q=龙井&c={tea.pk}")) == [longjing.pk]
    assert listed(client.get(f"/shop/search/?c={tea.pk}")) == [longjing.pk]
    prompt = client.get("/shop/search/")
    assert prompt.context["page"] is None and "Type what you are looking for" in prompt.content.decode()
    nothing = client.get("/shop/search/?q=咖啡").content.decode()
    assert 'id="no-results"' in nothing and "Nothing found for “咖啡”." in nothing
    # The query is escaped, never markup.
    body = client.get("/shop/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "&lt;script&gt;alert(1)" in body and "<script>alert(1)" not in body


def test_home_links_categories_and_lists_new_arrivals(client):
    tea = CategoryFactory(name="茶叶", name_en="Tea")
    product = on_sale(title="明前龙井", category=tea)
    draft = on_sale(title="草稿商品", status=ProductStatus.DRAFT)
    body = client.get("/").content.decode()
    assert f'href="/shop/c/{tea.pk}/"' in body
    assert f'href="/shop/p/{product.pk}/"' in body and f'href="/shop/p/{draft.pk}/"' not in body
