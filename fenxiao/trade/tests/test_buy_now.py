""" "Buy now" (立即购买): ``GET /trade/buy/?sku_id=&quantity=`` is the confirm-order page of that one
SKU — the consumer's own addresses (default first), the price exactly as ``place_order`` charges
it, points and coupons — and its form ``POST``s to ``/trade/buy/``, straight to the cashier.  The
cart is never read or written; a refusal comes back to the confirm page, 400, nothing written."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.crm import members as member_services
from fenxiao.crm.models import LoyaltySettings, Member
from fenxiao.marketing import coupons
from fenxiao.marketing.tests.factories import CouponFactory
from fenxiao.payments.models import Payment
from fenxiao.trade.cart import add_to_cart
from fenxiao.trade.models import CartItem, Checkout, Order, ShippingRule

from .factories import AddressFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    """A consumer with a default address in 浙江省 and another in 广东省 (shipping ¥12 there, ¥8
    elsewhere), a cart line of another SKU, and a tea SKU (¥99.00, 5 in stock) to buy now."""
    tea = SkuFactory(retail_price=9900, stock=5, product__title="龙井茶", spec_values={"规格": "250g"})
    ShippingRule.objects.create(brand=tea.brand, flat_fee=800, province_fees={"广东省": 1200})
    home = AddressFactory(name="张三")
    work = AddressFactory(
        consumer=home.consumer, name="李四", province="广东省", city="深圳市", is_default=False
    )
    other = SkuFactory(stock=5)
    add_to_cart(consumer=home.consumer, sku_id=other.pk, quantity=1)
    return {"tea": tea, "home": home, "work": work, "consumer": home.consumer, "in_cart": other}


def _cart(consumer) -> list[tuple[int, int]]:
    return list(CartItem.objects.filter(consumer=consumer).values_list("sku_id", "quantity"))


def _nothing_written(buyer) -> None:
    assert not Checkout.objects.exists() and not Order.objects.exists() and not Payment.objects.exists()
    assert Sku.objects.get(pk=buyer["tea"].pk).stock == 5
    assert _cart(buyer["consumer"]) == [(buyer["in_cart"].pk, 1)]


def test_the_confirm_page_shows_the_one_item_priced_to_the_default_address(client, buyer):
    tea, consumer = buyer["tea"], buyer["consumer"]
    client.force_login(consumer)
    response = client.get("/trade/buy/", {"sku_id": tea.pk, "quantity": 2})
    assert response.status_code == 200
    page = response.content.decode()
    buy = response.context["buy"]
    assert (buy.sku, buy.quantity, buy.address) == (tea, 2, buyer["home"])
    assert buy.preview.total == 2 * 9900 + 800
    assert 'id="checkout-total">¥206.00<' in page and "龙井茶" in page and "250g" in page
    assert 'id="buy-unit-price">¥99.00<' in page and 'name="quantity" value="2"' in page
    assert f'name="address_id" value="{buyer["home"].pk}" checked' in page
    assert f'name="address_id" value="{buyer["work"].pk}">' in page
    assert f'name="sku_id" value="{tea.pk}"' in page and 'action="/trade/buy/"' in page
    # adding an address comes back to this SKU and quantity
    add = page.split('id="add-address"')[0].rsplit('href="', 1)[1].split('"')[0]
    back = parse_qs(urlparse(add.replace("&amp;", "&")).query)["next"][0]
    assert back == f"/trade/buy/?sku_id={tea.pk}&quantity=2"
    # the cart is not shown, read into the price, nor written
    assert buyer["in_cart"].product.title not in page
    assert _cart(consumer) == [(buyer["in_cart"].pk, 1)]


def test_another_address_is_priced_to_its_province_and_charged_what_was_shown(client, buyer):
    tea, consumer = buyer["tea"], buyer["consumer"]
    client.force_login(consumer)
    shown = client.get("/trade/buy/", {"sku_id": tea.pk, "quantity": 2, "address_id": buyer["work"].pk})
    assert shown.context["buy"].address == buyer["work"]
    assert shown.context["buy"].preview.total == 2 * 9900 + 1200
    assert f'name="address_id" value="{buyer["work"].pk}" checked' in shown.content.decode()
    response = client.post(
        "/trade/buy/",
        {"sku_id": tea.pk, "quantity": 2, "address_id": buyer["work"].pk, "note": "放门口"},
    )
    assert response.status_code == 302 and "/payments/pay/" in response["Location"]
    order = Order.objects.get(consumer=consumer)
    assert order.paid_amount == shown.context["buy"].preview.total == order.checkout.payment.amount
    assert (order.address["province"], order.note, order.lines.get().quantity) == ("广东省", "放门口", 2)
    assert Sku.objects.get(pk=tea.pk).stock == 3
    assert _cart(consumer) == [(buyer["in_cart"].pk, 1)]  # the cart is left as it was


def test_an_item_already_in_the_cart_stays_there(client, buyer):
    tea, consumer = buyer["tea"], buyer["consumer"]
    add_to_cart(consumer=consumer, sku_id=tea.pk, quantity=1)
    client.force_login(consumer)
    client.get("/trade/buy/", {"sku_id": tea.pk, "quantity": 3})
    response = client.post("/trade/buy/", {"sku_id": tea.pk, "quantity": 3, "address_id": buyer["home"].pk})
    assert response.status_code == 302
    assert Order.objects.get().lines.get().quantity == 3  # not the cart's 1, nor 1 + 3
    assert sorted(_cart(consumer)) == sorted([(buyer["in_cart"].pk, 1), (tea.pk, 1)])


def test_a_consumer_sees_and_uses_only_its_own_addresses(client, buyer):
    stranger = AddressFactory(name="王五", province="北京市", detail="别人家 9 号")
    client.force_login(buyer["consumer"])
    response = client.get(
        "/trade/buy/", {"sku_id": buyer["tea"].pk, "quantity": 1, "address_id": stranger.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "王五" not in page and "别人家" not in page
    assert [a.pk for a in response.context["buy"].addresses] == [buyer["home"].pk, buyer["work"].pk]
    assert response.context["buy"].address == buyer["home"]  # another's id: the default instead
    refused = client.post(
        "/trade/buy/", {"sku_id": buyer["tea"].pk, "quantity": 1, "address_id": stranger.pk}
    )
    assert refused.status_code == 400
    assert "Choose one of your delivery addresses." in refused.content.decode()
    _nothing_written(buyer)

    client.force_login(stranger.consumer)  # and the other way round
    page = client.get("/trade/buy/", {"sku_id": buyer["tea"].pk}).content.decode()
    assert "王五" in page and "张三" not in page and "李四" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": 6}, "Only 5 of “龙井茶 250g” left."),
        ({"quantity": 0}, "The quantity must be at least 1."),
        ({"quantity": -2}, "The quantity must be at least 1."),
        ({"quantity": "two"}, "The quantity must be at least 1."),
        ({"sku_id": 999999}, "This item does not exist."),
        ({"sku_id": ""}, "Choose a specification first."),
        ({"address_id": ""}, "Choose one of your delivery addresses."),
    ],
)
def test_bad_input_comes_back_to_the_confirm_page_with_its_message(client, buyer, data, message):
    client.force_login(buyer["consumer"])
    posted = {"sku_id": buyer["tea"].pk, "quantity": 1, "address_id": buyer["home"].pk, **data}
    response = client.post("/trade/buy/", posted)
    assert response.status_code == 400
    assert response.templates[0].name == "trade/buy_now.html"
    assert message in response.content.decode() and 'id="buy-errors"' in response.content.decode()
    _nothing_written(buyer)
    if "address_id" not in data:  # the page itself refuses the same request, showing it
        shown = client.get("/trade/buy/", {k: v for k, v in posted.items() if k != "address_id"})
        assert shown.status_code == 400 and message in shown.content.decode()
        form = 'id="place-order" disabled' if "sku_id" not in data else 'id="buy-now-form"'
        assert (form in shown.content.decode()) is ("sku_id" not in data)  # no such item: no form
        _nothing_written(buyer)


def test_out_of_stock_and_not_on_sale(client, buyer):
    sold_out = SkuFactory(stock=0, product__title="白茶")
    client.force_login(buyer["consumer"])
    response = client.get("/trade/buy/", {"sku_id": sold_out.pk, "quantity": 1})
    assert response.status_code == 400 and "Only 0 of “白茶" in response.content.decode()
    assert "白茶" in response.content.decode()  # the item is still shown, with its message
    refused = client.post(
        "/trade/buy/", {"sku_id": sold_out.pk, "quantity": 1, "address_id": buyer["home"].pk}
    )
    assert refused.status_code == 400
    _nothing_written(buyer)
    Sku.objects.filter(pk=buyer["tea"].pk).update(is_active=False)
    gone = client.get("/trade/buy/", {"sku_id": buyer["tea"].pk})
    assert gone.status_code == 400 and "This item does not exist." in gone.content.decode()
    assert 'id="buy-now-form"' not in gone.content.decode()


def test_no_address_yet_offers_one_and_cannot_be_submitted(client):
    tea = SkuFactory(stock=3)
    consumer = UserFactory()
    client.force_login(consumer)
    response = client.get("/trade/buy/", {"sku_id": tea.pk, "quantity": 1})
    page = response.content.decode()
    assert response.status_code == 200 and "You have no address yet." in page
    assert 'id="place-order" disabled' in page and 'id="add-address"' in page
    refused = client.post("/trade/buy/", {"sku_id": tea.pk, "quantity": 1})
    assert refused.status_code == 400 and "Choose one of your delivery addresses." in refused.content.decode()
    assert not Order.objects.exists()


def test_a_guest_is_sent_to_sign_in_and_back_to_the_same_sku_and_quantity(client, buyer):
    response = client.get("/trade/buy/", {"sku_id": buyer["tea"].pk, "quantity": 2})
    assert response.status_code == 302
    target = urlparse(response["Location"])
    back = parse_qs(target.query)["next"][0]
    assert target.path == "/accounts/signin/" and back == f"/trade/buy/?sku_id={buyer['tea'].pk}&quantity=2"
    assert client.post("/trade/buy/", {"sku_id": buyer["tea"].pk, "quantity": 2}).status_code == 302
    _nothing_written(buyer)


def test_the_csrf_token_of_a_get_without_javascript_is_dropped_from_the_address(client, buyer):
    client.force_login(buyer["consumer"])
    response = client.get(
        "/trade/buy/", {"csrfmiddlewaretoken": "x", "sku_id": ["", buyer["tea"].pk], "quantity": 2}
    )  # (without JavaScript the product page sends its empty hidden sku_id and the chosen one)
    assert response.status_code == 302
    assert response["Location"] == f"/trade/buy/?sku_id={buyer['tea'].pk}&quantity=2"


def test_points_and_coupons_are_offered_and_charged_as_shown(client, buyer):
    tea, consumer, brand = buyer["tea"], buyer["consumer"], buyer["tea"].brand
    LoyaltySettings.objects.create(brand=brand, points_per_yuan=2, point_value_fen=1, redeem_cap_bps=1000)
    member = member_services.ensure_member(brand_id=brand.pk, consumer=consumer, channel="link")
    Member.objects.filter(pk=member.pk).update(points_balance=5000)
    mc = coupons.claim_coupon(consumer=consumer, coupon_id=CouponFactory(brand=brand, amount=1200).pk)
    client.force_login(consumer)
    base = {"sku_id": tea.pk, "quantity": 2}
    page = client.get("/trade/buy/", base).content.decode()
    assert f'name="coupon" value="{mc.pk}"' in page
    # the points link keeps this SKU, quantity and address
    assert (
        f"?sku_id={tea.pk}&amp;quantity=2&amp;address_id={buyer['home'].pk}&amp;use_points={brand.pk}" in page
    )
    chosen = client.get("/trade/buy/", {**base, "use_points": brand.pk, "coupon": mc.pk})
    total = chosen.context["buy"].preview.total
    assert total < 2 * 9900 + 800 and f"{total / 100:.2f}" in chosen.content.decode()
    assert f'name="use_points" value="{brand.pk}"' in chosen.content.decode()
    response = client.post(
        "/trade/buy/",
        {**base, "address_id": buyer["home"].pk, "use_points": brand.pk, "coupon": mc.pk},
    )
    assert response.status_code == 302
    assert Order.objects.get().paid_amount == total
