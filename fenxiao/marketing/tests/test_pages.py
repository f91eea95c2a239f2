"""Every marketing route, walked from the URL configuration: brand A's staff never reach brand
B's tools, roles without marketing.manage get 403, consumers see only their own coupons; and the
pages work (create, pause, issue, claim, buy in a flash sale, open and join a group)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from fenxiao.accounts.roles import BrandRole, role_has
from fenxiao.accounts.roles import Perm as P
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.testing import fill_route, walk_urls
from fenxiao.crm.tests.factories import MemberFactory
from fenxiao.marketing import coupons
from fenxiao.marketing.models import Coupon, FlashSale, Group, GroupDeal, MemberCoupon, Promotion
from fenxiao.trade.models import Order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import CouponFactory, FlashSaleFactory, GroupDealFactory, PromotionFactory

pytestmark = pytest.mark.django_db
SECRET = "乙品牌的秘密活动"

CONSOLE_ROUTES = {  # route suffix → status for a role with the permission (GET)
    "marketing/": 200,
    "marketing/coupons/new/": 200,
    "marketing/promotions/new/": 200,
    "marketing/flash/new/": 200,
    "marketing/groups/new/": 200,
    "marketing/pause/": 405,
    "marketing/coupons/issue/": 405,
}
PUBLIC_ROUTES = {
    "marketing/coupons/",
    "marketing/coupons/claim/",
    "marketing/coupons/mine/",
    "marketing/flash/<int:sale_id>/",
    "marketing/deals/<int:deal_id>/",
    "marketing/groups/<int:group_id>/",
}


def marketing_routes() -> list[str]:
    return sorted(
        route
        for route, entry in walk_urls()
        if getattr(entry.callback, "__module__", "").startswith("fenxiao.marketing.")
    )


def test_every_route_is_in_a_matrix():
    routes = marketing_routes()
    assert routes
    for route in routes:
        if route.startswith("console/"):
            assert route.split("<int:brand_id>/")[1] in CONSOLE_ROUTES, route
        else:
            assert route in PUBLIC_ROUTES, route


@pytest.fixture
def brand_b():
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    sku = SkuFactory(product__brand=owner.brand, stock=50)
    return {
        "owner": owner,
        "coupon": CouponFactory(brand=owner.brand, name=SECRET, claimable=False),
        "promotion": PromotionFactory(brand=owner.brand, name=SECRET),
        "flash": FlashSaleFactory(sku=sku, name=SECRET),
        "deal": GroupDealFactory(sku=sku, name=SECRET),
        "sku": sku,
    }


@pytest.mark.parametrize("route", [r for r in marketing_routes() if r.startswith("console/")])
@pytest.mark.parametrize("method", ["get", "post"])
def test_brand_a_console_never_reaches_brand_b(client, brand_b, route, method):
    staff_a = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(staff_a.user)
    start = clock.now().strftime("%Y-%m-%dT%H:%M")
    data = {
        "name": "被改",
        "kind": "coupon",
        "id": brand_b["coupon"].pk,
        "paused": "1",
        "sku_id": brand_b["sku"].pk,
        "price": "1",
        "quantity": 1,
        "per_member_limit": 1,
        "unpaid_minutes": 5,
        "size": 2,
        "hours": 1,
        "starts_at": start,
        "ends_at": start,
        "tiers": "10=1",
        "total_quantity": 1,
        "audience": "everyone",
        "amount": "1",
    }
    for brand_id in (brand_b["owner"].brand_id, staff_a.brand_id):
        url = fill_route(route, {"brand_id": brand_id})
        response = getattr(client, method)(url, data if method == "post" else None)
        assert SECRET not in response.content.decode(), (route, method)
        if brand_id != staff_a.brand_id:
            assert response.status_code in (404, 405), (route, method, response.status_code)
        elif method == "post" and route.endswith(("pause/", "issue/")):
            assert response.status_code == 404, (route, response.status_code)
    for model in (Coupon, Promotion, FlashSale, GroupDeal):
        assert not model.objects.filter(paused=True).exists()
        assert not model.objects.filter(name="被改").exists()
    assert not MemberCoupon.objects.exists()


@pytest.mark.parametrize(
    "role",
    [BrandRole.OWNER, BrandRole.ADMIN, BrandRole.OPERATIONS, BrandRole.CUSTOMER_SERVICE, BrandRole.FINANCE],
)
def test_roles_without_marketing_manage_get_403(client, role):
    staff = BrandStaffFactory(role=role)
    client.force_login(staff.user)
    allowed = role_has(role, P.MARKETING_MANAGE)
    for route, status in CONSOLE_ROUTES.items():
        url = f"/console/b/{staff.brand_id}/{route}"
        expected = status if allowed or status == 405 else 403  # POST-only routes refuse GET first
        assert client.get(url).status_code == expected, (role, route)
        if not allowed:
            assert client.post(url, {"kind": "coupon", "id": 1}).status_code == 403, (role, route)


def test_console_create_pause_and_issue(client):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    sku = SkuFactory(product__brand=owner.brand, retail_price=10000, stock=30)
    MemberFactory(brand=owner.brand)
    client.force_login(owner.user)
    base = f"/console/b/{owner.brand_id}/marketing/"
    start = clock.now().strftime("%Y-%m-%dT%H:%M")
    end = (clock.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    window = {"starts_at": start, "ends_at": end}
    r = client.post(
        base + "coupons/new/",
        {
            "name": "满100减10",
            "kind": "threshold",
            "amount": "10",
            "threshold": "100",
            "total_quantity": 50,
            "per_member_limit": 1,
            "audience": "everyone",
            "claimable": "on",
            **window,
        },
    )
    assert r.status_code == 302, r.content.decode()
    coupon = Coupon.objects.get(brand=owner.brand)
    assert (coupon.amount, coupon.threshold) == (1000, 10000)
    assert (
        client.post(
            base + "promotions/new/", {"name": "满减", "tiers": "199=20\n399=50", **window}
        ).status_code
        == 302
    )
    assert Promotion.objects.get().tiers == [[19900, 2000], [39900, 5000]]
    r = client.post(
        base + "flash/new/",
        {
            "name": "秒杀",
            "sku_id": sku.pk,
            "price": "49.90",
            "quantity": 10,
            "per_member_limit": 1,
            "unpaid_minutes": 5,
            **window,
        },
    )
    assert r.status_code == 302 and FlashSale.objects.get().price == 4990
    bad = client.post(
        base + "flash/new/",
        {
            "name": "超卖",
            "sku_id": sku.pk,
            "price": "49.90",
            "quantity": 999,
            "per_member_limit": 1,
            "unpaid_minutes": 5,
            **window,
        },
    )
    assert bad.status_code == 400 and "30" in bad.content.decode()
    r = client.post(
        base + "groups/new/",
        {"name": "拼团", "sku_id": sku.pk, "price": "60", "size": 3, "hours": 24, **window},
    )
    assert r.status_code == 302 and GroupDeal.objects.get().size == 3
    assert (
        client.post(
            base + "pause/", {"kind": "flash", "id": FlashSale.objects.get().pk, "paused": "1"}
        ).status_code
        == 302
    )
    assert FlashSale.objects.get().paused
    assert client.post(base + "coupons/issue/", {"id": coupon.pk}).status_code == 302
    assert MemberCoupon.objects.filter(coupon=coupon).count() == 1
    page = client.get(base).content.decode()
    assert "满100减10" in page and "秒杀" in page and "拼团" in page
    assert (
        client.post(
            base + "groups/new/",
            {"name": "x", "sku_id": sku.pk, "price": "abc", "size": 3, "hours": 1, **window},
        ).status_code
        == 400
    )


def test_consumer_claims_and_sees_only_own_coupons(client):
    coupon = CouponFactory(name="店铺券")
    other = UserFactory()
    coupons.claim_coupon(consumer=other, coupon_id=CouponFactory(name="别人的券").pk)
    me = UserFactory()
    client.force_login(me)
    assert "店铺券" in client.get("/marketing/coupons/").content.decode()
    assert client.post("/marketing/coupons/claim/", {"coupon_id": coupon.pk}).status_code == 302
    again = client.post("/marketing/coupons/claim/", {"coupon_id": coupon.pk})
    assert again.status_code == 400
    mine = client.get("/marketing/coupons/mine/").content.decode()
    assert "店铺券" in mine and "别人的券" not in mine
    assert client.post("/marketing/coupons/claim/", {"coupon_id": "x"}).status_code == 400


def test_anonymous_is_sent_to_sign_in(client):
    sale = FlashSaleFactory(sku=SkuFactory())
    assert client.post("/marketing/coupons/claim/", {"coupon_id": 1}).status_code == 302
    assert client.get("/marketing/coupons/mine/").status_code == 302
    assert client.get(f"/marketing/flash/{sale.pk}/").status_code == 200
    assert client.post(f"/marketing/flash/{sale.pk}/").status_code == 302
    assert not Order.objects.exists()
    assert client.get("/marketing/flash/999999/").status_code == 404
    assert client.get("/marketing/deals/999999/").status_code == 404
    assert client.get("/marketing/groups/999999/").status_code == 404


def test_product_page_shows_offers_and_flash_buy_with_a_coupon(client):
    sku = SkuFactory(retail_price=10000, stock=10)
    sale = FlashSaleFactory(sku=sku, price=6000)
    deal = GroupDealFactory(sku=sku, price=7000)
    page = client.get(reverse("shop:product", args=[sku.product_id])).content.decode()
    assert (
        f"/marketing/flash/{sale.pk}/" in page and f"/marketing/deals/{deal.pk}/" in page and "¥60.00" in page
    )
    address = AddressFactory()
    mc = coupons.claim_coupon(
        consumer=address.consumer, coupon_id=CouponFactory(brand=sku.brand, amount=500).pk
    )
    client.force_login(address.consumer)
    preview = client.get(f"/marketing/flash/{sale.pk}/", {"coupon": mc.pk}).content.decode()
    assert "¥55.00" in preview
    r = client.post(f"/marketing/flash/{sale.pk}/", {"address_id": address.pk, "coupon": mc.pk})
    assert r.status_code == 302 and "/payments/pay/" in r["Location"]
    assert Order.objects.get().paid_amount == 5500
    again = client.post(f"/marketing/flash/{sale.pk}/", {"address_id": address.pk})
    assert again.status_code == 400 and Order.objects.count() == 1


def test_group_pages_open_share_and_join(client):
    sku = SkuFactory(retail_price=10000, stock=10)
    deal = GroupDealFactory(sku=sku, price=7000, size=2)
    leader, friend = AddressFactory(), AddressFactory()
    client.force_login(leader.consumer)
    r = client.post(f"/marketing/deals/{deal.pk}/", {"address_id": leader.pk})
    assert r.status_code == 302
    pay_checkout(Order.objects.get().checkout)
    group = Group.objects.get()
    page = client.get(f"/marketing/deals/{deal.pk}/").content.decode()
    assert f"/marketing/groups/{group.pk}/" in page
    client.force_login(friend.consumer)
    page = client.get(f"/marketing/groups/{group.pk}/").content.decode()
    assert "1 of 2 paid" in page
    assert client.post(f"/marketing/groups/{group.pk}/", {"address_id": friend.pk}).status_code == 302
    pay_checkout(Order.objects.filter(consumer=friend.consumer).get().checkout)
    group.refresh_from_db()
    assert group.status == "succeeded"
    assert "Group complete" in client.get(f"/marketing/groups/{group.pk}/").content.decode()


def test_checkout_coupon_picker(client):
    sku = SkuFactory(retail_price=10000, stock=10)
    address = AddressFactory()
    mc = coupons.claim_coupon(
        consumer=address.consumer, coupon_id=CouponFactory(brand=sku.brand, amount=1200).pk
    )
    client.force_login(address.consumer)
    client.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 1})
    page = client.get("/trade/checkout/").content.decode()
    assert f'value="{mc.pk}"' in page and "¥100.00" in page
    assert "¥88.00" in client.get("/trade/checkout/", {"coupon": mc.pk}).content.decode()
    r = client.post("/trade/checkout/", {"address_id": address.pk, "coupon": mc.pk})
    assert r.status_code == 302 and Order.objects.get().paid_amount == 8800


def test_sold_out_flash_sale_refuses_quickly_and_clearly(client):
    sale = FlashSaleFactory(sku=SkuFactory(stock=10), quantity=1)
    first, second = AddressFactory(), AddressFactory()
    client.force_login(first.consumer)
    assert client.post(f"/marketing/flash/{sale.pk}/", {"address_id": first.pk}).status_code == 302
    client.force_login(second.consumer)
    refused = client.post(f"/marketing/flash/{sale.pk}/", {"address_id": second.pk})
    assert refused.status_code == 400 and refused.context["state"] == "sold_out"
    assert Order.objects.count() == 1 and FlashSale.objects.get(pk=sale.pk).sold == 1
