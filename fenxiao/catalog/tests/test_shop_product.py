"""The product page: gallery, price range, the SKU picker's data and the purchase form."""

import json
import re

import pytest

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.shop_selectors import SpecGroup

from .factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def sku(product, stock=10, retail_price=10000, **specs):
    return SkuFactory(product=product, spec_values=specs, stock=stock, retail_price=retail_price)


def sku_json(response) -> list[dict]:
    match = re.search(
        r'<script id="sku-data" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert match, "the page carries its SKUs as json_script"
    return json.loads(match.group(1))


@pytest.fixture
def shirt():
    """颜色 × 尺码 with one combination missing (蓝/L) and one sold out (红/L)."""
    product = ProductFactory(
        title="条纹衬衫", subtitle="纯棉", description="第一段。\n\n第二段。", spec_names=["颜色", "尺码"]
    )
    skus = {
        ("红", "M"): sku(product, 颜色="红", 尺码="M", retail_price=8900, stock=3),
        ("红", "L"): sku(product, 颜色="红", 尺码="L", retail_price=9900, stock=0),
        ("蓝", "M"): sku(product, 颜色="蓝", 尺码="M", retail_price=9500, stock=7),
    }
    product.refresh_from_db()
    return product, skus


def test_each_skus_price_and_stock_are_on_the_page(client, shirt):
    product, skus = shirt
    response = client.get(f"/shop/p/{product.pk}/")
    assert response.status_code == 200
    data = {(d["specs"]["颜色"], d["specs"]["尺码"]): d for d in sku_json(response)}
    assert data.keys() == skus.keys()
    for key, s in skus.items():
        assert data[key] == {
            "id": s.pk,
            "specs": {"颜色": key[0], "尺码": key[1]},
            "price": s.retail_price,
            "price_display": f"¥{s.retail_price // 100}.00",
            "stock": s.stock,
        }
    body = response.content.decode()
    assert '<div class="price product-price" id="price">¥89.00 – ¥99.00</div>' in body
    assert '<span id="stock">10</span>' in body  # nothing chosen yet: the total


def test_picker_has_one_group_per_spec_with_the_values_that_exist(client, shirt):
    product, _ = shirt
    response = client.get(f"/shop/p/{product.pk}/")
    assert response.context["detail"].spec_groups == [
        SpecGroup(name="颜色", values=["红", "蓝"]),
        SpecGroup(name="尺码", values=["M", "L"]),
    ]
    body = response.content.decode()
    assert body.count('type="radio" name="spec-0"') == 2 and body.count('type="radio" name="spec-1"') == 2
    assert 'value="蓝" data-spec="颜色"' in body


def test_product_details_gallery_brand_and_category(client, shirt):
    product, _ = shirt
    product.category = CategoryFactory(name="衬衫", name_en="Shirts")
    product.save()
    ProductImage.objects.create(product=product, image="p/2.jpg", thumbnail="p/2t.jpg", position=2)
    ProductImage.objects.create(product=product, image="p/1.jpg", thumbnail="p/1t.jpg", position=1)
    body = client.get(f"/shop/p/{product.pk}/").content.decode()
    assert body.index("/media/p/1.jpg") < body.index("/media/p/2.jpg")
    assert "条纹衬衫" in body and "纯棉" in body and "<p>第一段。</p>" in body
    assert f'href="/shop/b/{product.brand.slug}/"' in body
    assert f'href="/shop/c/{product.category_id}/"' in body and "Shirts" in body


def test_single_sku_is_preselected_with_its_price_and_stock(client):
    product = ProductFactory(spec_names=["规格"])
    only = sku(product, 规格="250g", retail_price=12800, stock=5)
    body = client.get(f"/shop/p/{product.pk}/").content.decode()
    assert f'name="sku_id" id="sku_id" value="{only.pk}"' in body
    assert 'value="250g" data-spec="规格" checked' in body
    assert ">¥128.00</div>" in body and '<span id="stock">5</span>' in body and 'max="5"' in body
    assert '<select name="sku_id"' not in body  # the no-script chooser is for several SKUs only


def test_inactive_skus_are_not_offered(client, shirt):
    product, skus = shirt
    skus[("蓝", "M")].is_active = False
    skus[("蓝", "M")].save()
    response = client.get(f"/shop/p/{product.pk}/")
    assert [d["specs"]["颜色"] for d in sku_json(response)] == ["红", "红"]
    assert response.context["detail"].spec_groups[0] == SpecGroup(name="颜色", values=["红"])


def test_signed_in_consumer_gets_the_cart_form(client, shirt):
    product, _ = shirt
    client.force_login(UserFactory())
    body = client.get(f"/shop/p/{product.pk}/").content.decode()
    assert 'id="sku-picker" method="post" action="/trade/cart/add/"' in body
    assert 'name="quantity"' in body and 'id="add-to-cart"' in body and 'id="buy-now"' in body
    # Without JavaScript the SKUs are a plain list; the sold-out one cannot be chosen.
    chooser = re.search(r'<select name="sku_id" id="sku-select">(.*?)</select>', body, re.S).group(1)
    options = re.findall(r"<option[^>]*>[^<]*</option>", chooser)
    assert len(options) == 3
    assert [o for o in options if "disabled" in o] == [o for o in options if "红 / L" in o]


def test_visitor_is_asked_to_sign_in_and_comes_back(client, shirt):
    product, _ = shirt
    body = client.get(f"/shop/p/{product.pk}/").content.decode()
    assert 'id="sign-in-to-buy"' in body
    assert f'id="sku-picker" method="get" action="/shop/p/{product.pk}/"' in body
    sku_id = product.skus.filter(stock__gt=0).first().pk  # tapping buy: sign in, then this SKU again
    response = client.get(f"/shop/p/{product.pk}/", {"sku_id": sku_id, "quantity": 2, "then": "checkout"})
    next_url = f"%2Fshop%2Fp%2F{product.pk}%2F%3Fsku_id%3D{sku_id}%26quantity%3D2"
    assert response["Location"] == f"/accounts/signin/?next={next_url}"


def test_sold_out_product_cannot_be_bought(client):
    product = ProductFactory(spec_names=["规格"])
    sku(product, 规格="小", stock=0)
    sku(product, 规格="大", stock=0)
    client.force_login(UserFactory())
    body = client.get(f"/shop/p/{product.pk}/").content.decode()
    assert 'id="buy-now"' not in body and "Sold out" in body


def test_product_without_active_skus_shows_sold_out_not_a_zero_price(client):
    product = ProductFactory(spec_names=["规格"])
    retired = sku(product, 规格="旧款")
    retired.is_active = False
    retired.save()
    body = client.get(f"/shop/p/{product.pk}/").content.decode()
    assert '<div class="price product-price" id="price">Sold out</div>' in body and "¥0.00" not in body


def test_the_cart_form_adds_the_chosen_sku(client, shirt):
    """The form's field names are the ones trade:cart_add reads."""
    from fenxiao.trade.models import CartItem

    product, skus = shirt
    consumer = UserFactory()
    client.force_login(consumer)
    chosen = skus[("蓝", "M")]
    response = client.post("/trade/cart/add/", {"sku_id": chosen.pk, "quantity": 2, "then": "cart"})
    assert response.status_code == 302
    assert list(CartItem.objects.filter(consumer=consumer).values_list("sku_id", "quantity")) == [
        (chosen.pk, 2)
    ]
