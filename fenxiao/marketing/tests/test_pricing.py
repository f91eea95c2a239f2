"""The price order, stacking rules, coupon limits and expiry, cancellation returns, refunds of
discounted lines."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import CategoryFactory, ProductFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.crm import segments
from fenxiao.crm.models import LoyaltySettings, Member
from fenxiao.crm.tests.factories import LevelFactory, MemberFactory
from fenxiao.marketing import coupons, plugins
from fenxiao.marketing.models import Audience, Coupon, CouponKind, LineDiscount, MemberCoupon
from fenxiao.trade import orders as trade_orders
from fenxiao.trade import refunds
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order, OrderLine
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import CouponFactory, PromotionFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    a = SkuFactory(retail_price=10000, stock=50)
    b = SkuFactory(retail_price=5000, stock=50, product__brand=a.brand)
    return {"brand": a.brand, "a": a, "b": b, "address": AddressFactory()}


def test_pipeline_runs_in_the_documented_order():
    names = [name for _, name in plugins.pipeline()]
    assert names.index("member_price") < names.index("flash") < names.index("group")
    assert names.index("group") < names.index("promotion") < names.index("coupon") < names.index("points")
    assert [p for p, _ in plugins.pipeline()] == sorted(p for p, _ in plugins.pipeline())


def test_member_price_then_promotion_then_coupon_then_points(shop):
    brand, address = shop["brand"], shop["address"]
    level = LevelFactory(brand=brand, discount_bps=1000, growth_threshold=0)
    MemberFactory(brand=brand, consumer=address.consumer, level=level, points_balance=5000)
    LoyaltySettings.objects.create(brand=brand, point_value_fen=1, redeem_cap_bps=5000)
    PromotionFactory(brand=brand, tiers=[[15000, 2000], [30000, 9000]])
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=CouponFactory(brand=brand, amount=1000).pk)

    order = place(address, [(shop["a"], 1), (shop["b"], 2)], coupons=[mc.pk], points={brand.pk: 1000})

    # goods 10000 + 10000; member 10% → 9000 + 9000; 满150减20 → 8000 + 8000;
    # coupon 10 → 7500 + 7500; 1000 points → 7000 + 7000
    lines = list(order.lines.order_by("id"))
    assert [line.paid_amount for line in lines] == [7000, 7000]
    assert order.discount_amount == 6000 and order.paid_amount == 14000
    parts = {(d.line_id, d.tool): d.amount for d in LineDiscount.objects.filter(order=order)}
    for line in lines:
        assert {t: parts[(line.pk, t)] for t in ("member_price", "promotion", "coupon", "points")} == {
            "member_price": 1000,
            "promotion": 1000,
            "coupon": 500,
            "points": 500,
        }
        assert sum(v for (line_id, _t), v in parts.items() if line_id == line.pk) == line.discount
    mc.refresh_from_db()
    assert mc.status == "used" and mc.order_id == order.pk
    assert Member.objects.get(brand=brand, consumer=address.consumer).points_balance == 4000


def test_promotion_tiers_spread_by_largest_remainder(shop):
    brand = shop["brand"]
    c = SkuFactory(retail_price=3333, stock=10, product__brand=brand)
    PromotionFactory(brand=brand, tiers=[[10000, 1000], [19900, 2000]])
    order = place(shop["address"], [(shop["a"], 1), (shop["b"], 1), (c, 1)])
    # 18333 goods reach 满100减10: 1000 over 10000/5000/3333 = 545.47, 272.73, 181.80 → the two largest remainders get the 2 fen left
    assert [line.discount for line in order.lines.order_by("id")] == [545, 273, 182]
    assert order.discount_amount == 1000


def test_promotion_only_over_its_products(shop):
    PromotionFactory(brand=shop["brand"], tiers=[[5000, 500]], product_ids=[shop["b"].product_id])
    order = place(shop["address"], [(shop["a"], 1), (shop["b"], 1)])
    assert [line.discount for line in order.lines.order_by("id")] == [0, 500]


def test_one_coupon_per_order_unless_stackable(shop):
    brand, address = shop["brand"], shop["address"]
    first = coupons.claim_coupon(consumer=address.consumer, coupon_id=CouponFactory(brand=brand).pk)
    second = coupons.claim_coupon(consumer=address.consumer, coupon_id=CouponFactory(brand=brand).pk)
    with pytest.raises(TradeError):
        place(address, [(shop["a"], 1)], coupons=[first.pk, second.pk])
    assert not Order.objects.exists()
    assert MemberCoupon.objects.filter(status="available").count() == 2

    s1 = coupons.claim_coupon(
        consumer=address.consumer, coupon_id=CouponFactory(brand=brand, stackable=True).pk
    )
    s2 = coupons.claim_coupon(
        consumer=address.consumer, coupon_id=CouponFactory(brand=brand, stackable=True, amount=500).pk
    )
    order = place(address, [(shop["a"], 1)], coupons=[s1.pk, s2.pk])
    assert order.discount_amount == 1500


def test_percent_coupon_with_cap_and_threshold_coupon(shop):
    brand, address = shop["brand"], shop["address"]
    percent = CouponFactory(brand=brand, kind=CouponKind.PERCENT, percent_bps=2000, cap=1500, amount=0)
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=percent.pk)
    order = place(address, [(shop["a"], 1)], coupons=[mc.pk])
    assert order.discount_amount == 1500  # 20% of 100 yuan is 20, capped at 15

    threshold = CouponFactory(brand=brand, kind=CouponKind.THRESHOLD, threshold=15000, amount=2000)
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=threshold.pk)
    with pytest.raises(TradeError):
        place(address, [(shop["a"], 1)], coupons=[mc.pk])  # 100 yuan does not reach 150
    order = place(address, [(shop["a"], 1), (shop["b"], 1)], coupons=[mc.pk])
    assert order.discount_amount == 2000


def test_coupon_limited_to_products_and_categories(shop):
    brand, address = shop["brand"], shop["address"]
    tea = CategoryFactory()
    cup = SkuFactory(retail_price=4000, product=ProductFactory(brand=brand, category=tea))
    by_category = CouponFactory(brand=brand, category_ids=[tea.pk], amount=1000)
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=by_category.pk)
    with pytest.raises(TradeError):
        place(address, [(shop["a"], 1)], coupons=[mc.pk])
    order = place(address, [(shop["a"], 1), (cup, 1)], coupons=[mc.pk])
    assert [line.discount for line in order.lines.order_by("id")] == [0, 1000]

    by_product = CouponFactory(brand=brand, product_ids=[shop["b"].product_id], amount=800)
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=by_product.pk)
    order = place(address, [(shop["a"], 1), (shop["b"], 1)], coupons=[mc.pk])
    assert [line.discount for line in order.lines.order_by("id")] == [0, 800]


def test_coupon_quantity_and_per_member_limit():
    coupon = CouponFactory(total_quantity=2, per_member_limit=1)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    coupons.claim_coupon(consumer=first, coupon_id=coupon.pk)
    with pytest.raises(ValidationError):
        coupons.claim_coupon(consumer=first, coupon_id=coupon.pk)
    coupons.claim_coupon(consumer=second, coupon_id=coupon.pk)
    with pytest.raises(ValidationError):
        coupons.claim_coupon(consumer=third, coupon_id=coupon.pk)
    coupon.refresh_from_db()
    assert coupon.claimed_count == 2 and MemberCoupon.objects.count() == 2


def test_coupon_audience_level_and_segment():
    gold = LevelFactory(growth_threshold=1000)
    brand = gold.brand
    insider, outsider = MemberFactory(brand=brand, level=gold), MemberFactory(brand=brand)
    by_level = CouponFactory(brand=brand, audience=Audience.LEVEL, level=gold)
    coupons.claim_coupon(consumer=insider.consumer, coupon_id=by_level.pk)
    with pytest.raises(ValidationError):
        coupons.claim_coupon(consumer=outsider.consumer, coupon_id=by_level.pk)

    owner = BrandStaffFactory(brand=brand, role=BrandRole.OWNER)
    Member.objects.filter(pk=insider.pk).update(total_paid=50000)
    big = segments.save_segment(actor=owner, name="大客户", filters={"min_paid": 10000})
    by_segment = CouponFactory(brand=brand, audience=Audience.SEGMENT, segment=big, claimable=False)
    assert coupons.issue_coupon(actor=owner, coupon_id=by_segment.pk) == 1
    assert list(MemberCoupon.objects.filter(coupon=by_segment).values_list("consumer", flat=True)) == [
        insider.consumer_id
    ]
    with pytest.raises(ValidationError):  # brand-issued only: not claimable in the shop
        coupons.claim_coupon(consumer=outsider.consumer, coupon_id=by_segment.pk)


def test_coupon_expires_n_days_after_claim(shop):
    address = shop["address"]
    coupon = CouponFactory(brand=shop["brand"], valid_days=3, ends_at=clock.now() + timedelta(days=30))
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=coupon.pk)
    clock.advance(timedelta(days=3, minutes=1))
    with pytest.raises(TradeError):
        place(address, [(shop["a"], 1)], coupons=[mc.pk])
    assert mc not in coupons.usable_coupons(address.consumer)


def test_coupon_window_ends(shop):
    address = shop["address"]
    coupon = CouponFactory(brand=shop["brand"], ends_at=clock.now() + timedelta(days=1))
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=coupon.pk)
    clock.advance(timedelta(days=2))
    with pytest.raises(ValidationError):
        coupons.claim_coupon(consumer=UserFactory(), coupon_id=coupon.pk)
    with pytest.raises(TradeError):
        place(address, [(shop["a"], 1)], coupons=[mc.pk])


def test_other_brands_coupon_is_not_applied(shop):
    address = shop["address"]
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=CouponFactory().pk)
    order = place(address, [(shop["a"], 1)], coupons=[mc.pk])
    assert order.discount_amount == 0
    mc.refresh_from_db()
    assert mc.status == "available"


def test_cancelling_an_unpaid_order_returns_the_coupon(shop):
    address = shop["address"]
    coupon = CouponFactory(brand=shop["brand"])
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=coupon.pk)
    order = place(address, [(shop["a"], 1)], coupons=[mc.pk])
    assert Coupon.objects.get(pk=coupon.pk).used_count == 1
    trade_orders.cancel_order(order.pk)
    mc.refresh_from_db()
    assert mc.status == "available" and mc.order_id is None
    assert Coupon.objects.get(pk=coupon.pk).used_count == 0
    again = place(address, [(shop["a"], 1)], coupons=[mc.pk])
    assert again.discount_amount == 1000


def test_refund_of_a_discounted_line_is_its_paid_share(shop):
    brand, address = shop["brand"], shop["address"]
    PromotionFactory(brand=brand, tiers=[[15000, 3000]])
    mc = coupons.claim_coupon(consumer=address.consumer, coupon_id=CouponFactory(brand=brand, amount=1500).pk)
    order = place(address, [(shop["a"], 1), (shop["b"], 1)], coupons=[mc.pk])
    first, second = order.lines.order_by("id")
    # promotion 3000 over 10000:5000 → 2000/1000; coupon 1500 over 8000:4000 → 1000/500
    assert (first.paid_amount, second.paid_amount) == (7000, 3500)
    pay_checkout(order.checkout)
    refunds.refund_order(order_id=order.pk, amount=second.paid_amount, reason="return", reference="line-2")
    order.refresh_from_db()
    assert order.refunded_amount == 3500
    assert (
        sum(OrderLine.objects.filter(order=order).values_list("paid_amount", flat=True)) == order.paid_amount
    )
    mc.refresh_from_db()
    assert mc.status == "used"  # a refund does not give a coupon back
