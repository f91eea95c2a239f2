import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core.testing import fill_route as fill
from fenxiao.core.testing import routes_of_module as routes
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import CartItem, Checkout, Order, OrderStatus

from .factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order():
    sku = SkuFactory(stock=5, retail_price=2000)
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 2)])
    pay_checkout(checkout)
    return checkout.orders.get()


@pytest.mark.parametrize("route", routes("fenxiao.trade.console_views"))
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_brand_gets_404_on_every_order_console_url(client, paid_order, route, method):
    stranger_brand = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(stranger_brand.user)
    for values in (
        {"brand_id": paid_order.brand_id, "order_id": paid_order.pk},
        {"brand_id": stranger_brand.brand_id, "order_id": paid_order.pk},
    ):
        url = fill(route, values)
        response = getattr(client, method)(url, {"carrier": "x", "tracking_no": "y"})
        if "order_id" not in route and values["brand_id"] == stranger_brand.brand_id:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert paid_order.order_no not in body.decode()  # own list/export: never the other brand's orders
            continue
        assert response.status_code in (404, 405), (url, response.status_code)
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID


@pytest.mark.parametrize(
    ("role", "can_view", "can_ship"),
    [
        ("owner", True, True),
        ("admin", True, True),
        ("operations", True, True),
        ("customer_service", True, False),
        ("finance", True, False),
    ],
)
def test_role_matrix_for_orders(client, paid_order, role, can_view, can_ship):
    staff = BrandStaffFactory(brand=paid_order.brand, role=role)
    client.force_login(staff.user)
    assert (
        client.get(f"/console/b/{paid_order.brand_id}/orders/{paid_order.pk}/").status_code == 200
    ) is can_view
    response = client.post(
        f"/console/b/{paid_order.brand_id}/orders/{paid_order.pk}/ship/",
        {"carrier": "顺丰", "tracking_no": "SF1"},
    )
    assert response.status_code == (302 if can_ship else 403)
    paid_order.refresh_from_db()
    assert (paid_order.status == OrderStatus.SHIPPED) is can_ship


def test_csv_export_contains_only_own_orders(client, paid_order):
    other = place_order(
        consumer=(address := AddressFactory()).consumer,
        address_id=address.pk,
        items=[(SkuFactory(stock=3).pk, 1)],
    ).orders.get()
    staff = BrandStaffFactory(brand=paid_order.brand, role=BrandRole.FINANCE)
    client.force_login(staff.user)
    body = b"".join(
        client.get(f"/console/b/{paid_order.brand_id}/orders/export.csv").streaming_content
    ).decode()
    assert paid_order.order_no in body and other.order_no not in body
    assert "40.00" in body


@pytest.mark.parametrize("route", routes("fenxiao.trade.views"))
def test_consumer_pages_never_show_another_consumers_order(client, paid_order, route):
    client.force_login(UserFactory())
    values = {
        "order_id": paid_order.pk,
        "item_id": 0,
        "address_id": AddressFactory(consumer=paid_order.consumer).pk,
    }
    response = (
        client.get(fill(route, values))
        if "action" not in route
        else client.post(fill(route, values), {"action": "cancel"})
    )
    assert paid_order.order_no not in response.content.decode()
    if "order_id" in route:
        assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    for route in routes("fenxiao.trade.views"):
        response = client.get(fill(route, {"order_id": 1, "item_id": 1, "address_id": 1}))
        if route == "trade/divisions/":  # public GB/T 2260 reference data for the address picker
            assert response.status_code == 200
            continue
        assert response.status_code in (302, 405)


def test_tampered_price_in_checkout_post_is_ignored(client):
    sku = SkuFactory(stock=5, retail_price=8800)
    address = AddressFactory()
    client.force_login(address.consumer)
    client.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 1, "price": 1, "unit_price": 1})
    response = client.post("/trade/checkout/", {"address_id": address.pk, "total": 1, "price": 1})
    assert response.status_code == 302
    assert Checkout.objects.get().total == 8800 and Order.objects.get().lines.get().unit_price == 8800


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sku_id": "", "quantity": 1}, "Choose a specification"),
        ({"quantity": 0}, "at least 1"),
        ({"quantity": -3}, "at least 1"),
        ({"quantity": 99}, "Only 5"),
    ],
)
def test_cart_add_bad_input_is_400_and_writes_nothing(client, data, message):
    sku = SkuFactory(stock=5)
    client.force_login(UserFactory())
    response = client.post("/trade/cart/add/", {"sku_id": sku.pk, **data})
    assert response.status_code == 400 and message in response.content.decode()
    assert CartItem.objects.count() == 0


def test_checkout_with_someone_elses_address_is_400(client):
    sku = SkuFactory(stock=5)
    buyer = UserFactory()
    client.force_login(buyer)
    client.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 1})
    response = client.post("/trade/checkout/", {"address_id": AddressFactory().pk})
    assert response.status_code == 400 and "delivery addresses" in response.content.decode()
    assert Order.objects.count() == 0


def test_empty_cart_checkout_is_400(client):
    address = AddressFactory()
    client.force_login(address.consumer)
    response = client.post("/trade/checkout/", {"address_id": address.pk})
    assert response.status_code == 400 and "cart is empty" in response.content.decode()


def test_consumer_confirms_receipt_through_the_page(client, paid_order):
    staff = BrandStaffFactory(brand=paid_order.brand, role=BrandRole.OPERATIONS)
    client.force_login(staff.user)
    client.post(
        f"/console/b/{paid_order.brand_id}/orders/{paid_order.pk}/ship/",
        {"carrier": "顺丰", "tracking_no": "SF1"},
    )
    client.force_login(paid_order.consumer)
    assert client.post(f"/trade/orders/{paid_order.pk}/action/", {"action": "confirm"}).status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.COMPLETED
    response = client.post(f"/trade/orders/{paid_order.pk}/action/", {"action": "cancel"})
    assert response.status_code == 400 and "cannot become" in response.content.decode()


def test_brand_sets_shipping_fees_and_checkout_uses_them(client):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(owner.user)
    response = client.post(
        f"/console/b/{owner.brand_id}/shipping/",
        {"flat_fee": "8", "free_over": "99.00", "province_fees": "新疆维吾尔自治区=20"},
    )
    assert response.status_code == 302
    sku = SkuFactory(product__brand=owner.brand, retail_price=5000, stock=9)
    address = AddressFactory(province="新疆维吾尔自治区")
    order = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 1)]).orders.get()
    assert order.shipping_amount == 2000
    bad = client.post(f"/console/b/{owner.brand_id}/shipping/", {"flat_fee": "abc"})
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["operations", "customer_service", "finance"])
def test_only_settings_roles_edit_shipping(client, role):
    staff = BrandStaffFactory(role=role)
    client.force_login(staff.user)
    assert client.get(f"/console/b/{staff.brand_id}/shipping/").status_code == 403


def test_address_book_default_and_delete_only_own(client):
    mine = AddressFactory(is_default=True)
    second = AddressFactory(consumer=mine.consumer, is_default=False)
    client.force_login(mine.consumer)
    client.post(f"/trade/addresses/{second.pk}/", {"action": "default"})
    second.refresh_from_db()
    mine.refresh_from_db()
    assert second.is_default and not mine.is_default
    client.post(f"/trade/addresses/{mine.pk}/", {"action": "delete"})
    assert not mine.__class__.objects.filter(pk=mine.pk).exists()
    stranger = AddressFactory()
    assert client.post(f"/trade/addresses/{stranger.pk}/", {"action": "delete"}).status_code == 404
    assert stranger.__class__.objects.filter(pk=stranger.pk).exists()


def test_address_next_is_only_followed_to_this_site(client):
    consumer = UserFactory()
    client.force_login(consumer)
    data = {
        "name": "李四",
        "phone": "13900001111",
        "province_code": "330000",
        "city_code": "330100",
        "district_code": "330106",
        "detail": "1 号",
    }
    assert (
        client.post("/trade/addresses/", {**data, "next": "https://evil.example/"}).url == "/trade/addresses/"
    )
    assert client.post("/trade/addresses/", {**data, "next": "/trade/checkout/"}).url == "/trade/checkout/"
    assert consumer.addresses.filter(is_default=True).count() == 1


def test_console_order_history_names_who_moved_the_order_in_chinese(client, paid_order):
    staff = BrandStaffFactory(brand=paid_order.brand, role="operations")
    client.force_login(staff.user)
    page = client.get(
        f"/console/b/{paid_order.brand_id}/orders/{paid_order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    history = page[page.index("card") :]
    assert "· 支付" in history and "· payment" not in history
