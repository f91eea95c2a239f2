"""Query-count budgets of the hot paths (issue 19, item 4; docs/benchmarks.md, "Query budgets").

Each budget is the EXACT number of SQL statements one request (or one service call) of a hot path
runs, counted with Django's ``CaptureQueriesContext`` through the real URL (the test client runs
the middleware, the session, the view and the templates). A change that adds a statement fails
here and must change the budget on purpose, in the same commit, with the reason in its comment; a
change that removes one must lower it (an exact count, never "at most").

The counts are taken inside the test's transaction, so each ``transaction.atomic`` of the path is a
``SAVEPOINT`` / ``RELEASE SAVEPOINT`` pair here and is counted; in production the outermost one is
a ``BEGIN`` / ``COMMIT`` that Django does not log. Where SQLite and PostgreSQL differ, both counts
are given (``per_vendor(sqlite=n, postgresql=m)``); the comment says why.
``BUDGET_PRINT=1 pytest fenxiao/web/tests/test_query_budgets.py -s`` prints each path's count
instead of asserting it (``BUDGET_PRINT=sql`` also lists the statements).

The world is fixed so the counts mean something: a product of 9 SKUs in two specs; two brands, A
with a distribution program and B with a default one nobody is bound through; a customer bound to
a distributor of brand A (through the distributor's store link, signed in); the checkout cart is
three lines — two units of one SKU and one of another of brand A, three of a SKU of brand B — and
the customer has one address.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.distribution import services as distribution
from fenxiao.distribution.tests.factories import customer_of, distributor_of, program_of
from fenxiao.marketing.models import FlashSale
from fenxiao.payments.gateways.sandbox import (
    SandboxGateway,
    SandboxTransaction,
    provider_pay,
    signed_notification,
    transaction_resource,
)
from fenxiao.trade.cart import add_to_cart
from fenxiao.trade.models import Checkout
from fenxiao.trade.tests.factories import AddressFactory

pytestmark = pytest.mark.django_db


def per_vendor(sqlite: int, postgresql: int) -> int:
    return {"sqlite": sqlite, "postgresql": postgresql}[connection.vendor]


# GET /shop/p/<id>/, anonymous, catalogue not yet in the hot cache: product with brand and
# category, images, SKUs; flash sales, group deals, claimable coupons.
PRODUCT_PAGE_ANONYMOUS_COLD = 6
# The same page a moment later: everything is in the hot cache (HOT_CACHE_SECONDS).
PRODUCT_PAGE_ANONYMOUS_WARM = 0
# GET /shop/p/<id>/, signed in as the bound customer, hot cache warm: session, user, the "could a
# store price apply" existence check, then the attribution that finds the distributor's store
# prices: program with binding and memberships' states (one query; 3 before), the membership,
# the store prices; then the member (for the member price, so the page shows what checkout
# charges: ``trade.selectors.visitor_unit_prices``).
PRODUCT_PAGE_SIGNED_IN_WARM = 7

# GET /s/<code>, a visitor without cookies: the link (one indexed read), then the write. PostgreSQL:
# the visit, its outbox event and the event's delivery jobs in one statement (a data-modifying
# WITH, no transaction needed; 6 before). SQLite has no data-modifying WITH: SAVEPOINT, visit
# INSERT, event INSERT, jobs INSERT, RELEASE.
SHARE_LINK_ANONYMOUS = per_vendor(sqlite=6, postgresql=2)
# The same link clicked again by another new visitor (a viral post): the link comes from the hot
# cache (``distribution.selectors.share_link_for_redirect``), so only the write is left.
SHARE_LINK_ANONYMOUS_WARM = per_vendor(sqlite=5, postgresql=1)
# GET /s/<code>, signed in, already bound: session, user, the link, then the transaction: visit,
# event and jobs INSERTs; CRM's on_attributed (the member read: ``ensure_member`` opens a
# transaction only to create one, so no SAVEPOINT/RELEASE around the read; 16 before); the binding
# (SAVEPOINT, program, membership check, binding read, RELEASE); RELEASE.
# PostgreSQL: each outbox event and its delivery jobs are one statement (``core.events.publish``,
# a data-modifying WITH), one less per event than SQLite's two INSERTs.
SHARE_LINK_SIGNED_IN = per_vendor(sqlite=14, postgresql=13)

# POST /trade/cart/add/: session, user, SAVEPOINT, the SKU, the cart row, its INSERT, RELEASE.
CART_ADD = 7

# POST /trade/checkout/ of the fixed cart (3 lines, 2 brands, bound customer): session, user,
# address, cart, the 3 SKUs (one query with their products and brands; one per line before: 38 ->
# 36); attribution (brand A: program with binding and memberships' states in one query,
# membership, store prices; brand B: the program query); the CRM members of both brands (one
# read, handed from the member price to the points step and to on_placed: 47 -> 40), promotions
# per brand, shipping rules; the stock of all three lines (one conditional UPDATE of the SKUs, one
# of the products' totals; what is left comes back from the UPDATE, so stock.low reads nothing);
# checkout, per order: order, lines, marketing's line discounts (from the lines handed over),
# order.created event and jobs (brand B's first order also creates its CRM member: its INSERT in a
# SAVEPOINT, level read, member.created event and jobs); the payment (gateway choice, payment
# INSERT: one statement, no SAVEPOINT/RELEASE of its own: 40 -> 38), the checkout's payment link,
# the cart's DELETE; SAVEPOINT/RELEASE pairs.
# PostgreSQL: the 3 events (two order.created, one member.created) one statement each, the SKUs'
# and products' stock UPDATEs one statement (a data-modifying WITH), and the checkout's row points
# at its payment's id from its INSERT (taken from the payments' sequence), so no UPDATE of it.
CHECKOUT = per_vendor(sqlite=36, postgresql=31)

# POST /trade/buy/ ("buy now": one SKU of brand A, its quantity and the address) by the bound
# customer: the checkout's statements for one order, without the cart request (7) and without the
# checkout's cart read and DELETE. (28 before the CRM member was read once, 24 before the
# payment's INSERT lost its SAVEPOINT/RELEASE.)
# PostgreSQL: order.created and its jobs in one statement; the SKU's and product's stock in one;
# no UPDATE of the checkout's payment link.
BUY_NOW = per_vendor(sqlite=22, postgresql=19)

# POST /marketing/flash/<id>/ by the bound customer, who wins the last unit: session, user, the
# sale, then a one-line checkout at the flash price (attribution as in the checkout): the
# marketing plugin's line discount, the member's quota row, the sale's conditional UPDATE and its
# claim. (40 before the stock.low read, marketing's read of the lines and two attribution reads
# were dropped; 36 before the CRM member was read once and its creation lost its outer SAVEPOINT;
# 32 before the payment's INSERT lost its SAVEPOINT/RELEASE.)
# PostgreSQL: order.created and its jobs in one statement; the SKU's and product's stock in one;
# no UPDATE of the checkout's payment link.
FLASH_SALE_WIN = per_vendor(sqlite=30, postgresql=27)
# The same press once the sale is sold out: session, user, the sale row; nothing else.
FLASH_SALE_SOLD_OUT = 3

# POST /payments/notify/sandbox/ (no session) with the provider's signed TRANSACTION.SUCCESS for
# the checkout above: the provider's key, the notification log, the payment (read, locked, its
# state change), the payment's journal entry, both orders paid (transition, status, order.paid
# event and jobs), brand A's commission and its lines and journal entry, CRM members, marketing's
# group seats (the CRM member of each order: one locking read, 83 before the SAVEPOINT, read and
# RELEASE of ``ensure_member`` ahead of it went). This world's first payment also creates three ledger accounts (a read, SAVEPOINT,
# INSERT, RELEASE each); SAVEPOINT/RELEASE pairs.
# PostgreSQL: each order.paid event and its jobs in one statement.
PAYMENT_NOTIFICATION = per_vendor(sqlite=75, postgresql=73)
# The same notification delivered again (the provider retries): the key, SAVEPOINT, SAVEPOINT, the
# log's INSERT refused by its unique key (ROLLBACK TO SAVEPOINT), RELEASE, RELEASE: nothing written.
PAYMENT_NOTIFICATION_REPEATED = 7


def statements(fn) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return result, [q["sql"] for q in captured.captured_queries]


def assert_budget(name: str, sql: list[str], budget: int) -> None:
    if os.environ.get("BUDGET_PRINT"):
        print(f"BUDGET {connection.vendor} {name}: {len(sql)}")
        if os.environ.get("BUDGET_PRINT") == "sql":
            print("\n".join(sql))
        return
    listing = "\n".join(f"{i + 1:3d}. {s[:200]}" for i, s in enumerate(sql))
    assert len(sql) == budget, f"{name}: {len(sql)} SQL statements, budget {budget}:\n{listing}"


@pytest.fixture
def world():
    brand_a, brand_b = BrandFactory(name="甲"), BrandFactory(name="乙")
    program_of(brand_a, freeze_days=0)
    program_of(brand_b)  # its program row exists (the first checkout of a brand would write it)
    member = distributor_of(brand_a)
    link = distribution.share_link(distributor=member.distributor, brand=brand_a)
    customer = customer_of(member)
    product = ProductFactory(brand=brand_a, spec_names=["颜色", "尺码"])
    skus = [
        SkuFactory(product=product, spec_values={"颜色": f"色{i % 3}", "尺码": f"码{i // 3}"}, stock=100)
        for i in range(9)
    ]
    other = SkuFactory(product=ProductFactory(brand=brand_a), stock=100)
    b_sku = SkuFactory(product=ProductFactory(brand=brand_b), stock=100)
    address = AddressFactory(consumer=customer)
    return {
        "customer": customer,
        "link": link,
        "product": product,
        "skus": skus,
        "cart": [(skus[0], 2), (other, 1), (b_sku, 3)],
        "address": address,
    }


def _checkout(client, world) -> Checkout:
    for sku, quantity in world["cart"]:
        add_to_cart(consumer=world["customer"], sku_id=sku.pk, quantity=quantity)
    client.force_login(world["customer"])
    _, sql = statements(lambda: client.post("/trade/checkout/", {"address_id": world["address"].pk}))
    checkout = Checkout.objects.get(consumer=world["customer"])
    assert checkout.orders.count() == 2
    return checkout, sql


def test_product_page(client, world):
    url = f"/shop/p/{world['product'].pk}/"
    response, sql = statements(lambda: client.get(url))
    assert response.status_code == 200
    assert_budget("product page, anonymous, cold", sql, PRODUCT_PAGE_ANONYMOUS_COLD)
    _, sql = statements(lambda: client.get(url))
    assert_budget("product page, anonymous, warm", sql, PRODUCT_PAGE_ANONYMOUS_WARM)
    client.force_login(world["customer"])
    response, sql = statements(lambda: client.get(url))
    assert response.status_code == 200
    assert_budget("product page, signed in, warm", sql, PRODUCT_PAGE_SIGNED_IN_WARM)


def test_share_link_anonymous(client, world):
    response, sql = statements(lambda: client.get(f"/s/{world['link'].code}"))
    assert response.status_code == 302
    assert_budget("share link, anonymous", sql, SHARE_LINK_ANONYMOUS)
    client.cookies.clear()  # the next click is another person's
    response, sql = statements(lambda: client.get(f"/s/{world['link'].code}"))
    assert response.status_code == 302
    assert_budget("share link, anonymous, warm", sql, SHARE_LINK_ANONYMOUS_WARM)


def test_share_link_signed_in(client, world):
    client.force_login(world["customer"])
    response, sql = statements(lambda: client.get(f"/s/{world['link'].code}"))
    assert response.status_code == 302
    assert_budget("share link, signed in", sql, SHARE_LINK_SIGNED_IN)


def test_cart_add(client, world):
    client.force_login(world["customer"])
    sku = world["skus"][0]
    response, sql = statements(lambda: client.post("/trade/cart/add/", {"sku_id": sku.pk, "quantity": 1}))
    assert response.status_code == 302
    assert_budget("cart add", sql, CART_ADD)


def test_checkout(client, world):
    _checkout_obj, sql = _checkout(client, world)
    assert_budget("checkout (3 lines, 2 brands, bound customer)", sql, CHECKOUT)


def test_buy_now(client, world):
    client.force_login(world["customer"])
    sku, quantity = world["cart"][0]
    data = {"sku_id": sku.pk, "quantity": quantity, "address_id": world["address"].pk}
    response, sql = statements(lambda: client.post("/trade/buy/", data))
    assert response.status_code == 302 and "/payments/pay/" in response["Location"]
    assert_budget("buy now (one SKU)", sql, BUY_NOW)
    order = Checkout.objects.get(consumer=world["customer"]).orders.get()
    assert order.distributor_id is not None and order.lines.get().quantity == quantity


def test_flash_sale(client, world):
    now = clock.now()
    sku = world["skus"][1]
    sale = FlashSale.objects.create(
        brand=sku.brand,
        name="秒杀",
        sku=sku,
        price=990,
        quantity=1,
        per_member_limit=1,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    client.force_login(world["customer"])
    url = f"/marketing/flash/{sale.pk}/"
    response, sql = statements(lambda: client.post(url, {"address_id": world["address"].pk}))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_budget("flash sale, a winning press", sql, FLASH_SALE_WIN)
    late = UserFactory()
    late_address = AddressFactory(consumer=late)
    client.force_login(late)
    response, sql = statements(lambda: client.post(url, {"address_id": late_address.pk}))
    assert response.status_code == 400
    assert_budget("flash sale, sold out", sql, FLASH_SALE_SOLD_OUT)


def test_payment_notification(client, world):
    checkout, _sql = _checkout(client, world)
    payment = checkout.payment
    SandboxGateway().start(payment, return_url="/", notify_url="http://testserver/payments/notify/sandbox/")
    txn = provider_pay(SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no), notify=False)
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}

    provider = Client()  # the provider's server: no session cookie

    def notify():
        return provider.post("/payments/notify/sandbox/", body, content_type="application/json", **extra)

    response, sql = statements(notify)
    assert response.status_code in (200, 204), response.content
    assert_budget("payment notification", sql, PAYMENT_NOTIFICATION)
    assert set(checkout.orders.values_list("status", flat=True)) == {"paid"}
    response, sql = statements(notify)
    assert response.status_code in (200, 204), response.content
    assert_budget("payment notification, repeated", sql, PAYMENT_NOTIFICATION_REPEATED)
