"""A press on a sold-out flash sale (the stampede's 7 in 8): refused from a short per-process memo
without reading the sale's row, with a lean page that holds nothing of the member; the memo is
forgotten when units can come back and expires on its own.  A winning press takes the sale's row
last among marketing's writes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.marketing import coupons, soldout
from fenxiao.marketing.models import FlashClaim, FlashQuota, FlashSale
from fenxiao.trade import orders as trade_orders
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import Order
from fenxiao.trade.tests.factories import AddressFactory

from .factories import CouponFactory, FlashSaleFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_memo():
    soldout.clear()
    yield
    soldout.clear()


@pytest.fixture
def sold_out(client):
    """A sale of one unit, bought by a first member through the page."""
    sale = FlashSaleFactory(sku=SkuFactory(stock=10), quantity=1)
    first = AddressFactory()
    client.force_login(first.consumer)
    assert client.post(f"/marketing/flash/{sale.pk}/", {"address_id": first.pk}).status_code == 302
    return sale


def _press(client, sale, **extra):
    address = AddressFactory()
    client.force_login(address.consumer)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/marketing/flash/{sale.pk}/", {"address_id": address.pk}, **extra)
    return response, [q["sql"] for q in captured.captured_queries]


def test_refusals_after_the_first_read_no_sale_row(client, sold_out):
    response, sql = _press(client, sold_out)
    assert response.status_code == 400 and len(sql) == 3  # session, user, the sale row
    assert any("marketing_flashsale" in s for s in sql)
    for _ in range(3):
        response, sql = _press(client, sold_out)
        assert response.status_code == 400
        assert len(sql) == 2 and not any("marketing_flashsale" in s for s in sql), sql  # session, user
    assert Order.objects.count() == 1 and FlashSale.objects.get(pk=sold_out.pk).sold == 1


def test_the_note_expires(client, sold_out):
    _press(client, sold_out)
    clock.advance(timedelta(seconds=soldout.SECONDS + 0.5))
    try:
        response, sql = _press(client, sold_out)
    finally:
        clock.reset()
    assert response.status_code == 400 and any("marketing_flashsale" in s for s in sql)


def test_a_released_claim_is_sold_again_at_once(client, sold_out):
    assert _press(client, sold_out)[0].status_code == 400  # noted sold out
    trade_orders.cancel_order(Order.objects.get().pk)  # unpaid, cancelled: the unit comes back
    response, _sql = _press(client, sold_out)
    assert response.status_code == 302, response.content.decode()[:500]
    assert FlashSale.objects.get(pk=sold_out.pk).sold == 1
    assert Order.objects.filter(status="pending_payment").count() == 1


def test_a_raised_quantity_is_sold_at_once(client, sold_out):
    assert _press(client, sold_out)[0].status_code == 400
    sale = FlashSale.objects.get(pk=sold_out.pk)
    sale.quantity = 2
    sale.save(update_fields=["quantity"])
    assert _press(client, sold_out)[0].status_code == 302
    assert _press(client, sold_out)[0].status_code == 400
    assert FlashSale.objects.get(pk=sold_out.pk).sold == 2 and Order.objects.count() == 2


def test_the_refusal_page_holds_nothing_of_the_member(client, sold_out):
    alice, bob = UserFactory(display_name="爱丽丝甲"), UserFactory(display_name="鲍勃乙")
    pages = []
    for user in (alice, bob, alice):
        address = AddressFactory(consumer=user)
        client.force_login(user)
        response = client.post(f"/marketing/flash/{sold_out.pk}/", {"address_id": address.pk})
        assert response.status_code == 400
        assert "csrftoken" not in response.cookies
        pages.append(response.content.decode())
    assert pages[0] == pages[1] == pages[2]  # one rendering serves every member
    page = pages[0]
    for private in ("csrf", "爱丽丝甲", "鲍勃乙", alice.phone, bob.phone, "<form", 'name="address_id"'):
        assert private.lower() not in page.lower(), private
    product = sold_out.sku.product
    assert product.title in page and "Sold out" in page
    assert f'href="/shop/p/{product.pk}/"' in page and f'href="/shop/b/{product.brand.slug}/"' in page


def test_the_refusal_page_speaks_chinese_and_english(client, sold_out):
    zh, _sql = _press(client, sold_out, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en, _sql = _press(client, sold_out, HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 400
    chinese = zh.content.decode()
    assert '<html lang="zh-hans">' in chinese and "已抢光" in chinese
    assert "查看商品" in chinese and "返回店铺" in chinese and "Sold out" not in chinese
    page = en.content.decode()
    assert '<html lang="en">' in page and "Sold out: every unit of this flash sale has been taken." in page
    assert "See the product" in page and "Back to the shop" in page


def test_a_visitor_not_signed_in_is_still_sent_to_sign_in(client, sold_out):
    _press(client, sold_out)  # noted
    client.logout()
    response = client.post(f"/marketing/flash/{sold_out.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/signin/")


def test_nothing_is_noted_while_units_are_left(client):
    sale = FlashSaleFactory(sku=SkuFactory(stock=10), quantity=2)
    assert _press(client, sale)[0].status_code == 302
    assert soldout.refusal(sale.pk) is None
    response, sql = _press(client, sale)
    assert response.status_code == 302
    assert _press(client, sale)[0].status_code == 400 and soldout.refusal(sale.pk) is not None


def test_the_sale_row_is_the_last_thing_marketing_writes():
    """A winning press with a coupon: the coupon's rows, the quota and the claim are written first,
    the sale's tally last, so its lock is held over the fewest statements before COMMIT."""
    sku = SkuFactory(retail_price=10000, stock=10)
    sale = FlashSaleFactory(sku=sku, price=6000, quantity=5)
    address = AddressFactory()
    mc = coupons.claim_coupon(
        consumer=address.consumer, coupon_id=CouponFactory(brand=sku.brand, amount=500).pk
    )
    with CaptureQueriesContext(connection) as captured:
        order = place(address, [(sku, 1)], flash=sale.pk, coupons=[mc.pk])
    writes = [
        q["sql"].split('"')[1]
        for q in captured.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE")) and '"marketing_' in q["sql"]
    ]
    assert writes[-1] == "marketing_flashsale", writes
    assert {
        "marketing_membercoupon",
        "marketing_coupon",
        "marketing_flashquota",
        "marketing_flashclaim",
    } <= set(writes[:-1])
    assert order.paid_amount == 5500 and FlashSale.objects.get(pk=sale.pk).sold == 1


def test_a_refused_claim_leaves_no_claim_or_quota_row():
    sku = SkuFactory(stock=10)
    sale = FlashSaleFactory(sku=sku, quantity=1)
    place(AddressFactory(), [(sku, 1)], flash=sale.pk)
    with pytest.raises(TradeError):  # priced (pricing does not read the tally), then refused
        place(AddressFactory(), [(sku, 1)], flash=sale.pk)
    assert FlashClaim.objects.count() == 1 and FlashQuota.objects.count() == 1 and Order.objects.count() == 1


def test_the_memo_can_be_turned_off(client, sold_out, settings):
    settings.FLASH_SOLD_OUT_MEMO_SECONDS = 0
    for _ in range(2):
        response, sql = _press(client, sold_out)
        assert response.status_code == 400 and len(sql) == 3  # session, user, the sale row
        assert "Sold out: every unit of this flash sale has been taken." in response.content.decode()
    assert soldout.refusal(sold_out.pk) is None
