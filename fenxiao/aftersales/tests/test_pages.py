"""Pages and the tenancy matrix of every after-sales route: brand A's staff never reach brand
B's requests, roles without the permission get 403, a consumer sees only its own requests, the
distributor is no party, and the arbitration pages are for platform staff only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.roles import BrandRole, role_has
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.aftersales import services
from fenxiao.aftersales.models import AftersaleRequest, Kind, Status
from fenxiao.core.testing import fill_route, routes_of_module, walk_urls

from .factories import photo, scene

pytestmark = pytest.mark.django_db

CONSOLE = "fenxiao.aftersales.console_views"
CONSUMER = "fenxiao.aftersales.views"
PLATFORM = "fenxiao.aftersales.platform_views"


@pytest.fixture
def case():
    s = scene(quantity=2)
    s.ship()
    item = services.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=s.line.pk,
        kind=Kind.RETURN_REFUND,
        reason="damaged",
        amount=10000,
        photos=[photo()],
    )
    s.item = item
    s.photo = item.photos.get()
    return s


def _values(s, brand_id=None):
    return {
        "brand_id": brand_id or s.sku.brand_id,
        "request_id": s.item.pk,
        "order_id": s.order.pk,
        "photo_id": s.photo.pk,
    }


def _permission(route):
    return next(entry.callback.brand_permission for r, entry in walk_urls() if r == route)


def _unchanged(s):
    item = AftersaleRequest.objects.get(pk=s.item.pk)
    assert item.status == Status.REQUESTED and item.messages.count() == 0


def test_every_route_is_in_a_matrix():
    assert len(routes_of_module(CONSOLE)) == 4
    assert len(routes_of_module(CONSUMER)) == 5
    assert len(routes_of_module(PLATFORM)) == 3  # the queue also at /platform/arbitration/


@pytest.mark.parametrize("route", routes_of_module(CONSOLE))
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_brands_staff_get_404_on_every_console_route(client, case, route, method):
    stranger = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(stranger.user)
    data = {"action": "approve", "response_days": 2, "return_days": 5, "window_days": 10}
    response = getattr(client, method)(fill_route(route, _values(case)), data)
    assert response.status_code == (405 if route.endswith("action/") and method == "get" else 404)
    if "request_id" in route:  # own brand in the URL, brand A's request: still 404
        response = getattr(client, method)(fill_route(route, _values(case, stranger.brand_id)), data)
        assert response.status_code in (404, 405)
    else:
        response = client.get(fill_route(route, _values(case, stranger.brand_id)))
        assert case.item.request_no not in response.content.decode()
    _unchanged(case)


@pytest.mark.parametrize("route", routes_of_module(CONSOLE))
@pytest.mark.parametrize("role", [r.value for r in BrandRole])
def test_role_matrix_on_every_console_route(client, case, route, role):
    staff = BrandStaffFactory(brand=case.sku.brand, role=role)
    client.force_login(staff.user)
    allowed = role_has(role, _permission(route))
    url = fill_route(route, _values(case))
    if route.endswith("action/"):
        response = client.post(url, {"action": "message", "body": "您好"})
        assert response.status_code == (302 if allowed else 403)
        assert AftersaleRequest.objects.get(pk=case.item.pk).messages.count() == (1 if allowed else 0)
    else:
        assert client.get(url).status_code == (200 if allowed else 403)


@pytest.mark.parametrize("route", routes_of_module(CONSUMER))
@pytest.mark.parametrize("who", ["other consumer", "distributor", "brand owner"])
def test_consumer_routes_show_only_own_requests(client, case, route, who):
    user = {
        "other consumer": UserFactory(),
        "distributor": case.distributor,
        "brand owner": case.owner.user,
    }[who]
    client.force_login(user)
    url = fill_route(route, _values(case))
    response = client.get(url)
    if who == "brand owner" and "photo_id" in route:
        assert response.status_code == 200  # the brand's after-sales staff see the evidence
    elif any(key in route for key in ("request_id", "order_id", "photo_id")):
        assert response.status_code in (404, 405)
    else:
        assert case.item.request_no not in response.content.decode()
    if "action" in route:
        assert client.post(url, {"action": "message", "body": "hi"}).status_code == 404
        assert client.post(url, {"action": "cancel"}).status_code == 404
    _unchanged(case)


@pytest.mark.parametrize("route", routes_of_module(CONSUMER) + routes_of_module(PLATFORM))
def test_anonymous_is_sent_to_sign_in(client, case, route):
    response = client.get(fill_route(route, _values(case)))
    assert response.status_code in (302, 405) and "/signin/" in response.get("Location", "/signin/")


@pytest.mark.parametrize("route", routes_of_module(PLATFORM))
def test_platform_pages_are_for_platform_staff_only(client, case, route):
    url = fill_route(route, _values(case))
    for user in (case.consumer, case.owner.user, case.distributor):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"outcome": "full", "note": "x"}).status_code == 403
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 200
    _unchanged(case)


def test_consumer_applies_tracks_and_messages(client):
    s = scene(quantity=2)
    s.ship()
    client.force_login(s.consumer)
    order_page = client.get(reverse("trade:order_detail", args=[s.order.pk])).content.decode()
    assert reverse("aftersales:apply", args=[s.order.pk]) in order_page
    url = reverse("aftersales:apply", args=[s.order.pk])
    assert client.get(url).status_code == 200
    too_much = {"line": s.line.pk, "kind": "return_refund", "reason": "damaged", "amount": "200.01"}
    response = client.post(url, too_much)
    assert response.status_code == 400 and "at most ¥200.00" in response.content.decode()
    response = client.post(url, {**too_much, "amount": "abc"})
    assert response.status_code == 400 and not AftersaleRequest.objects.exists()
    response = client.post(url, {**too_much, "amount": "", "photos": [photo()]})
    item = AftersaleRequest.objects.get()
    assert response.status_code == 302 and item.amount == 20000 and item.photos.count() == 1
    page = client.get(reverse("aftersales:detail", args=[item.pk])).content.decode()
    assert item.request_no in page and "¥200.00" in page
    assert client.get(reverse("aftersales:photo", args=[item.photos.get().pk])).status_code == 200
    response = client.post(reverse("aftersales:action", args=[item.pk]), {"action": "escalate"})
    assert response.status_code == 400 and "cannot" in response.content.decode()
    client.post(reverse("aftersales:action", args=[item.pk]), {"action": "message", "body": "请尽快处理"})
    assert item.messages.get().body == "请尽快处理"
    assert item.request_no in client.get(reverse("aftersales:list")).content.decode()


def test_brand_decides_in_the_console_and_sees_deadlines(client, case):
    client.force_login(case.service.user)
    base = f"/console/b/{case.sku.brand_id}/aftersales/"
    queue = client.get(base).content.decode()
    assert (
        case.item.request_no in queue and timezone.localtime(case.item.due_at).strftime("%Y-%m-%d") in queue
    )
    response = client.post(f"{base}{case.item.pk}/action/", {"action": "reject", "note": ""})
    assert response.status_code == 400 and "why" in response.content.decode()
    _unchanged(case)
    client.post(f"{base}{case.item.pk}/action/", {"action": "approve"})
    assert AftersaleRequest.objects.get(pk=case.item.pk).status == Status.APPROVED


def test_policy_page_refuses_values_outside_platform_limits(client, case):
    client.force_login(case.owner.user)
    url = f"/console/b/{case.sku.brand_id}/aftersales/policy/"
    response = client.post(url, {"response_days": 99, "return_days": 5, "window_days": 10})
    assert response.status_code == 400 and "between" in response.content.decode()
    assert client.post(url, {"response_days": 2, "return_days": 5, "window_days": 10}).status_code == 302
    assert services.policy_for(case.sku.brand_id).response_days == 2


def test_platform_decides_a_partial_refund_on_the_page(client, case):
    services.reject(actor=case.service, request_id=case.item.pk, note="人为损坏")
    services.escalate(consumer=case.consumer, request_id=case.item.pk)
    client.force_login(UserFactory(is_staff=True))
    assert case.item.request_no in client.get("/aftersales/platform/").content.decode()
    url = f"/aftersales/platform/{case.item.pk}/"
    response = client.post(url, {"outcome": "partial", "amount": "100.00", "note": "x"})
    assert response.status_code == 400
    response = client.post(url, {"outcome": "partial", "amount": "40.00", "note": "各担一半"})
    assert response.status_code == 302
    item = AftersaleRequest.objects.get(pk=case.item.pk)
    assert item.status == Status.REFUNDED and item.refunded_amount == 4000
