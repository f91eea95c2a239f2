"""The shop speaks the browser's language (zh-Hans or English) and follows the language switch."""

import pytest

from .factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

CHINESE = "zh-CN,zh;q=0.9"


@pytest.fixture
def product():
    product = ProductFactory(category=CategoryFactory(name="绿茶", name_en="Green tea"))
    SkuFactory(product=product, stock=0)
    return product


@pytest.mark.parametrize(
    ("url", "english", "chinese"),
    [
        (
            "/shop/p/{pk}/",
            ["Quantity", "Stock:", "Sold out", "Green tea"],
            ["数量", "库存：", "已售罄", "绿茶"],
        ),
        ("/shop/search/", ["Type what you are looking for"], ["输入想找的商品或品牌"]),
        ("/shop/search/?q=zzz", ["Nothing found for “zzz”."], ["没有找到与“zzz”相关的商品。"]),
        ("/shop/b/{slug}/", ["1 item on sale", "All"], ["在售商品 1 件", "全部"]),
        ("/shop/c/{category}/", ["Green tea"], ["绿茶"]),
    ],
)
def test_pages_follow_the_browsers_language(client, product, url, english, chinese):
    url = url.format(pk=product.pk, slug=product.brand.slug, category=product.category_id)
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE=CHINESE).content.decode()
    for text in english:
        assert text in en
        assert text not in zh
    for text in chinese:
        assert text in zh
    assert '<html lang="en">' in en and '<html lang="zh-hans">' in zh


def test_language_switch_in_the_layout_changes_the_shop_language(client, product):
    url = f"/shop/p/{product.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=CHINESE).content.decode()
    assert 'action="/i18n/setlang/"' in page and f'name="next" type="hidden" value="{url}"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": url}, HTTP_ACCEPT_LANGUAGE=CHINESE)
    assert response.status_code == 302 and response.url == url
    assert "Quantity" in client.get(url, HTTP_ACCEPT_LANGUAGE=CHINESE).content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": url})
    assert "数量" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
