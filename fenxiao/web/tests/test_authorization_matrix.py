"""The authorisation matrix, generated from the URL configuration.

Every route of the project (pages, the console JSON API, the open API v1, receivers) has a policy
in :data:`POLICIES`; a route without one fails :func:`test_every_route_has_a_policy`.  Each route
is then requested, with its parameters pointing at **brand B's** objects and **consumer B's** own
data, by every role that is not their owner: anonymous, another consumer, a distributor of another
brand, each of the five staff roles of brand A, and platform staff.  Each gets exactly what its
policy says, and no response shown to them contains any of B's secrets.

The owners' own access (brand B's staff by role, consumer B, distributor B) is tested route by
route in each app's own matrix (``*/tests/test_*tenancy*``, ``test_console*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.aftersales import services as aftersales
from fenxiao.aftersales.tests.factories import photo, scene
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.tests.factories import CategoryFactory, SkuFactory
from fenxiao.core import clock
from fenxiao.core.models import OutboxEntry
from fenxiao.core.testing import fill_route, walk_urls
from fenxiao.crm.models import Member
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import DistributorMembership, LinkKind, Material, Withdrawal
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.ledger.models import PayoutRun
from fenxiao.ledger.tests.factories import statement as empty_statement
from fenxiao.marketing.models import Group
from fenxiao.marketing.tests.factories import FlashSaleFactory, GroupDealFactory
from fenxiao.openapi.models import WebhookDelivery, WebhookSubscription
from fenxiao.openapi.tests.factories import make_app
from fenxiao.payments.gateways.sandbox import SandboxGateway
from fenxiao.payments.models import ReconciliationBreak, ReconciliationRun, SandboxTransaction
from fenxiao.trade.models import CartItem

pytestmark = pytest.mark.django_db

# --- policies --------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in person, about itself only (anonymous: sign in first)
OWNER = "owner"  # an object of consumer B or distributor B: nobody else
CONSOLE = "console"  # brand B's console: only brand B's staff
CONSOLE_API = "console_api"  # brand B's console JSON API: only brand B's staff
PLATFORM = "platform"  # platform staff only
API_KEY = "api_key"  # open API v1: an API key of the brand, never a session
RECEIVER = "receiver"  # server-to-server receivers: only with the provider's valid signature
CAPABILITY = "capability"  # the sandbox cashier: the unguessable token in its URL is the permission
UNIFORM = "uniform"  # answers everyone alike, whoever they are (e.g. 404: nothing configured there)
EVIDENCE = "evidence"  # an after-sales photo: its consumer, the brand's after-sales staff, platform staff

POLICIES: dict[str, str] = {
    # web, accounts
    "": PUBLIC,
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "ping": SIGNED_IN,
    "metrics": PUBLIC,  # loopback only (the test client is 127.0.0.1); see core/tests/test_observability
    "accounts/signin/": PUBLIC,
    "accounts/signup/": PUBLIC,
    "accounts/signin/sms/": PUBLIC,
    "accounts/sms/send/": PUBLIC,  # sends a code only within the per-number and per-IP limits
    "accounts/signout/": PUBLIC,  # signing out when not signed in just goes home
    "accounts/me/": SIGNED_IN,
    "accounts/me/privacy/": SIGNED_IN,
    "accounts/me/privacy/export.json": SIGNED_IN,
    "accounts/me/privacy/erase/": SIGNED_IN,
    "accounts/erased/": PUBLIC,
    "accounts/brand/apply/": SIGNED_IN,
    "console/": SIGNED_IN,
    # shop
    "shop/search/": PUBLIC,
    "shop/b/<slug:slug>/": PUBLIC,
    "shop/c/<int:category_id>/": PUBLIC,
    "shop/p/<int:product_id>/": PUBLIC,
    # trade
    "trade/cart/": SIGNED_IN,
    "trade/cart/add/": SIGNED_IN,
    "trade/buy/": SIGNED_IN,
    "trade/cart/<int:item_id>/": OWNER,
    "trade/checkout/": SIGNED_IN,
    "trade/addresses/": SIGNED_IN,
    "trade/divisions/": PUBLIC,  # GB/T 2260 reference data for the address picker
    "trade/addresses/<int:address_id>/": OWNER,
    "trade/orders/": SIGNED_IN,
    "trade/orders/<int:order_id>/": OWNER,
    "trade/orders/<int:order_id>/action/": OWNER,
    "trade/tracking/kuaidi100/": RECEIVER,
    # payments
    "payments/pay/<str:out_trade_no>/": OWNER,
    "payments/result/<str:out_trade_no>/": OWNER,
    "payments/notify/<str:gateway>/": RECEIVER,
    "payments/sandbox/cashier/<str:token>/": CAPABILITY,
    # platform
    "platform/": PLATFORM,
    "platform/arbitration/": PLATFORM,
    "platform/funds-flow/": PLATFORM,
    "platform/ledger/": PLATFORM,
    "platform/audit/": PLATFORM,
    "platform/tasks/": PLATFORM,
    "platform/tasks/<int:entry_id>/retry/": PLATFORM,
    "platform/finance/": PLATFORM,
    "platform/finance/statements/<int:statement_id>/": PLATFORM,
    "platform/finance/payouts/": PLATFORM,
    "platform/finance/payouts/<int:run_id>/": PLATFORM,
    "platform/finance/payouts/<int:run_id>/<slug:action>/": PLATFORM,
    "platform/finance/reconciliation/": PLATFORM,
    "platform/finance/reconciliation/breaks/<int:break_id>/resolve/": PLATFORM,
    "aftersales/platform/": PLATFORM,
    "aftersales/platform/<int:request_id>/": PLATFORM,
    "analytics/platform/": PLATFORM,
    "analytics/platform/export/<slug:table>/<slug:fmt>/": PLATFORM,
    # after-sales (consumer)
    "aftersales/": SIGNED_IN,
    "aftersales/orders/<int:order_id>/apply/": OWNER,
    "aftersales/<int:request_id>/": OWNER,
    "aftersales/<int:request_id>/action/": OWNER,
    "aftersales/photos/<int:photo_id>/": EVIDENCE,
    # CRM
    "crm/member/<int:brand_id>/": SIGNED_IN,
    "crm/d/<int:brand_id>/customers/": SIGNED_IN,
    "crm/d/<int:brand_id>/qrcode/": SIGNED_IN,
    "crm/wechat/<int:brand_id>/": RECEIVER,
    "crm/wechat/<int:brand_id>/oauth/": UNIFORM,  # brand B has no WeChat account set up
    "crm/wechat/<int:brand_id>/oauth/callback/": RECEIVER,
    "crm/wechat/<int:brand_id>/oauth/link/": SIGNED_IN,
    # data cube (distributor)
    "analytics/d/": SIGNED_IN,
    "analytics/d/export/<slug:table>/<slug:fmt>/": SIGNED_IN,
    # marketing (consumer)
    "marketing/coupons/": PUBLIC,
    "marketing/coupons/claim/": SIGNED_IN,
    "marketing/coupons/mine/": SIGNED_IN,
    "marketing/flash/<int:sale_id>/": PUBLIC,
    "marketing/deals/<int:deal_id>/": PUBLIC,
    "marketing/groups/<int:group_id>/": PUBLIC,
    # distribution
    "s/<str:code>": PUBLIC,
    "m/<str:code>/": PUBLIC,
    "d/": SIGNED_IN,
    "d/join/<int:brand_id>/": SIGNED_IN,
    "d/market/<int:brand_id>/": SIGNED_IN,
    "d/share/<int:brand_id>/": SIGNED_IN,
    "d/poster/<str:code>.png": OWNER,
    "d/customers/": SIGNED_IN,
    "d/orders/": SIGNED_IN,
    "d/withdraw/<int:brand_id>/": SIGNED_IN,
    "d/invitees/": SIGNED_IN,
    "d/store/": SIGNED_IN,
    "d/store/decorate/": SIGNED_IN,
    "d/materials/": SIGNED_IN,
    # the JSON APIs' documents
    "api/openapi.json": PUBLIC,
    "api/docs": PUBLIC,
    "api/": UNIFORM,  # the console API has no root document
    "api/v1/openapi.json": PUBLIC,
    "api/v1/docs": PUBLIC,
}
# Whole families by prefix (every route under them, present and future, shares the policy).
PREFIX_POLICIES: list[tuple[str, str]] = [
    ("console/b/<int:brand_id>/", CONSOLE),
    ("api/console/brands/<brand_id>/", CONSOLE_API),
    ("api/v1/", API_KEY),
]
SKIPPED_PREFIXES = ("admin/", "media/", "i18n/")  # Django's own admin, uploaded files, language switch


# Parameters that mean something else on one route.
ROUTE_VALUES = {"m/<str:code>/": "store_code"}


def policy_of(route: str) -> str | None:
    if route in POLICIES:
        return POLICIES[route]
    for prefix, policy in PREFIX_POLICIES:
        if route.startswith(prefix):
            return policy
    return None


def project_routes() -> list[str]:
    routes = []
    for route, entry in walk_urls():
        if route.startswith(SKIPPED_PREFIXES) or not isinstance(entry, URLPattern):
            continue
        if "(?P<" in route:  # the open API's catch-all 404 answering in its own error format
            continue
        if route not in routes:
            routes.append(route)
    return routes


def test_every_route_has_a_policy():
    missing = [route for route in project_routes() if policy_of(route) is None]
    assert not missing, f"routes without an entry in the authorisation matrix: {missing}"


# --- the world: brand B, its consumer, its distributor, and everyone else -------------------------

SECRETS = {
    "phone": "13977770001",
    "street": "机密路 7 号",
    "note": "乙的私密备注",
    "app": "乙的ERP对接",
    "material": "乙的素材文案",
}


@dataclass
class World:
    values: dict
    secrets: list[str]
    roles: dict


@pytest.fixture
def world() -> World:
    s = scene(quantity=2, price=10000)
    brand = s.sku.brand
    consumer = s.consumer
    consumer.phone = SECRETS["phone"]
    consumer.save()
    address = consumer.addresses.get()
    address.detail = SECRETS["street"]
    address.save()
    s.order.address = {**s.order.address, "detail": SECRETS["street"], "phone": SECRETS["phone"]}
    s.order.save()
    request = aftersales.create_request(
        consumer=consumer,
        order_id=s.order.pk,
        line_id=s.line.pk,
        kind="refund_only",
        reason="damaged",
        description=SECRETS["note"],
        amount=5000,
        photos=[photo()],
    )
    member = Member.objects.get(brand=brand, consumer=consumer)  # made by the order
    member.notes = SECRETS["note"]
    member.save()
    app, _raw = make_app(brand, name=SECRETS["app"])
    webhook = WebhookSubscription.objects.create(
        app=app, url="https://erp.example.com/hook", topics=["order.paid"], secret="s", created_at=clock.now()
    )
    delivery = WebhookDelivery.objects.create(
        subscription=webhook, event_id=1, topic="order.paid", body="{}", created_at=clock.now()
    )
    link = distribution.share_link(
        distributor=s.distributor, brand=brand, kind=LinkKind.PRODUCT, product=s.sku.product
    )
    store_link = distribution.share_link(distributor=s.distributor, brand=brand, kind=LinkKind.STORE)
    category = CategoryFactory()
    s.sku.product.category = category
    s.sku.product.save()
    flash = FlashSaleFactory(sku=SkuFactory(brand=brand, product__brand=brand, stock=5))
    deal = GroupDealFactory(sku=SkuFactory(brand=brand, product__brand=brand, stock=5))
    group = Group.objects.create(deal=deal, leader=consumer, expires_at=clock.now(), created_at=clock.now())
    image = ProductImage.objects.create(product=s.sku.product, image="products/x.png")
    withdrawal = Withdrawal.objects.create(
        distributor=s.distributor, brand=brand, amount=100, requested_at=clock.now()
    )
    cart_item = CartItem.objects.create(consumer=consumer, sku=s.sku, quantity=1)
    statement = empty_statement(brand)
    payment = s.order.checkout.payment
    SandboxGateway().start(payment, return_url="/", notify_url="http://127.0.0.1/payments/notify/sandbox/")
    values = {
        "brand_id": brand.pk,
        "slug": brand.slug,
        "category_id": category.pk,
        "product_id": s.sku.product_id,
        "image_id": image.pk,
        "sku_id": s.sku.pk,
        "order_id": s.order.pk,
        "order_no": s.order.order_no,
        "item_id": cart_item.pk,
        "address_id": address.pk,
        "out_trade_no": payment.out_trade_no,
        "token": SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no).token,
        "gateway": "sandbox",
        "staff_id": s.owner.pk,
        "membership_id": DistributorMembership.objects.get(brand=brand, distributor=s.distributor).pk,
        "withdrawal_id": withdrawal.pk,
        "material_id": Material.objects.create(brand=brand, text=SECRETS["material"]).pk,
        "statement_id": statement.pk,
        "run_id": PayoutRun.objects.create(created_by=s.owner.user, minimum=1, reserve_bps=0).pk,
        "action": "approve",
        "break_id": ReconciliationBreak.objects.create(
            run=ReconciliationRun.objects.create(provider="sandbox", bill_date=clock.now().date()),
            kind="missing_ours",
            record="payment",
            out_no="PMATRIX",
            theirs=100,
        ).pk,
        "request_id": request.pk,
        "request_no": request.request_no,
        "photo_id": request.photos.first().pk,
        "member_id": member.pk,
        "app_id": app.pk,
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "entry_id": OutboxEntry.objects.create(name="core.deliver_event", status="dead", last_error="x").pk,
        "sale_id": flash.pk,
        "deal_id": deal.pk,
        "group_id": group.pk,
        "code": link.code,
        "store_code": store_link.code,
        "table": "periods",
        "fmt": "csv",
    }
    # Everyone who is not brand B, consumer B or distributor B.
    other_sku = SkuFactory()
    roles: dict = {"anonymous": None, "consumer": UserFactory(), "platform staff": UserFactory(is_staff=True)}
    roles["distributor"] = distributor_of(other_sku.brand).distributor
    for role in BrandRole.values:
        roles[f"brand A {role}"] = BrandStaffFactory(brand=other_sku.brand, role=role).user
    return World(values=values, secrets=[*SECRETS.values(), s.order.order_no, link.code], roles=roles)


# --- expectations ------------------------------------------------------------------------------

SIGN_IN = re.compile(r"/accounts/signin/|/admin/login/")


def _denied_to_anonymous(response) -> bool:
    return (response.status_code == 302 and SIGN_IN.search(response["Location"])) or response.status_code in (
        401,
        403,
    )


def _check(policy: str, role: str, response) -> str | None:
    """None when the response is what ``policy`` gives ``role``; else what went wrong."""
    status = response.status_code
    anonymous = role == "anonymous"
    if status >= 500:
        return f"server error {status}"
    if policy == PUBLIC:
        return None if status < 400 or status == 405 else f"public route answered {status}"
    if policy == CAPABILITY:
        return None if status in (200, 302) else f"{status}"
    if policy == SIGNED_IN:
        if anonymous:
            return None if _denied_to_anonymous(response) else f"anonymous got {status}"
        return None
    if policy == UNIFORM:
        return None  # compared across roles by the caller
    if policy in (OWNER, EVIDENCE):
        if policy == EVIDENCE and role == "platform staff":
            return None if status == 200 else f"platform staff (arbitration) got {status}"
        if anonymous:
            return None if _denied_to_anonymous(response) or status == 404 else f"anonymous got {status}"
        # 302: a form answered "no such item" and went back to the person's own page (no effect:
        # the caller checks B's data is unchanged).
        return None if status in (302, 403, 404) else f"non-owner got {status}"
    if policy == CONSOLE:
        if anonymous:
            return None if _denied_to_anonymous(response) else f"anonymous got {status}"
        return None if status == 404 else f"not brand B's staff, got {status}"
    if policy == CONSOLE_API:
        # 400/422: the body was refused before anything was looked up (nothing read, nothing written)
        return None if status in (400, 401, 403, 404, 422) else f"got {status}"
    if policy == PLATFORM:
        if role == "platform staff":
            return None
        return None if _denied_to_anonymous(response) or status in (403, 404) else f"got {status}"
    if policy == API_KEY:
        return None if status == 401 else f"a session without an API key got {status}"
    if policy == RECEIVER:
        return None if 400 <= status < 500 else f"an unsigned call got {status}"
    return f"unknown policy {policy}"


def _request(client: Client, url: str):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    if response.status_code == 405:
        response = client.patch(url, "{}", content_type="application/json")
    return response


def _snapshot(values: dict) -> tuple:
    """B's data that no request of another role may change."""
    from fenxiao.aftersales.models import AftersaleRequest
    from fenxiao.trade.models import Address, Order

    return (
        tuple(CartItem.objects.filter(pk=values["item_id"]).values_list("quantity", flat=True)),
        tuple(Address.objects.filter(pk=values["address_id"]).values_list("detail", "is_default")),
        tuple(Order.objects.filter(pk=values["order_id"]).values_list("status", "refunded_amount")),
        tuple(AftersaleRequest.objects.filter(pk=values["request_id"]).values_list("status", "amount")),
        tuple(Withdrawal.objects.filter(pk=values["withdrawal_id"]).values_list("status", flat=True)),
        tuple(
            WebhookSubscription.objects.filter(pk=values["webhook_id"]).values_list("is_active", flat=True)
        ),
        tuple(
            DistributorMembership.objects.filter(pk=values["membership_id"]).values_list("status", flat=True)
        ),
    )


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("route", project_routes())
def test_route_gives_each_role_exactly_its_access(world, route):
    policy = policy_of(route)
    assert policy is not None, f"{route}: add it to the authorisation matrix"
    values = dict(world.values)
    if route in ROUTE_VALUES:
        values["code"] = values[ROUTE_VALUES[route]]
    url = fill_route(route, values)
    before = _snapshot(world.values)
    problems = []
    statuses = set()
    for role, user in world.roles.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        response = _request(client, url)
        statuses.add(response.status_code)
        problem = _check(policy, role, response)
        if problem:
            problems.append(f"{role}: {problem}")
            continue
        if response.status_code == 200 and not (role == "platform staff" and policy in (PLATFORM, EVIDENCE)):
            body = _body(response)
            leaked = [secret for secret in world.secrets if secret in body]
            if leaked:
                problems.append(f"{role}: sees {leaked}")
    if policy == UNIFORM and len(statuses) > 1:
        problems.append(f"answers differ by role: {sorted(statuses)}")
    if _snapshot(world.values) != before:
        problems.append("B's data changed")
    assert not problems, f"{route} ({policy}): " + "; ".join(problems)


def test_security_doc_states_the_matrix_size():
    """docs/security.md reports routes × roles covered; it must say what this matrix really runs."""
    from pathlib import Path

    roles = 4 + len(BrandRole.values)  # anonymous, consumer, platform staff, distributor + each staff role
    routes = len(project_routes())
    doc = (Path(__file__).resolve().parents[3] / "docs" / "security.md").read_text()
    stated = re.search(r"\*\*(\d+) routes × (\d+) roles = ([\d,]+) checks\*\*", doc)
    assert stated, "docs/security.md lost the matrix size"
    assert (int(stated[1]), int(stated[2]), int(stated[3].replace(",", ""))) == (
        routes,
        roles,
        routes * roles,
    )
