"""Platform staff have a home at /platform/ with one menu (brands, ledger, audit, arbitration,
data cube; settlement once /platform/finance/ exists) on every platform page; arbitration is at
/platform/arbitration/ too; staff land on their console or the platform home after sign-in."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
MENU = [
    "/admin/accounts/brand/",
    "/platform/ledger/",
    "/platform/audit/",
    "/platform/arbitration/",
    "/analytics/platform/",
]


def _finance_exists() -> bool:
    try:
        resolve("/platform/finance/")
    except Resolver404:
        return False
    return True


def _platform_staff(*, may_view_brands: bool = True):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    if may_view_brands:
        user.user_permissions.add(
            Permission.objects.get(codename="view_brand", content_type__app_label="accounts")
        )
    return user


@pytest.mark.parametrize("page", ["/platform/", *MENU[1:]])
def test_every_platform_page_carries_the_one_menu(client, page):
    client.force_login(_platform_staff())
    response = client.get(page)
    assert response.status_code == 200, page
    body = response.content.decode()
    for url in MENU:
        assert f'href="{url}"' in body, (page, url)
    assert ('href="/platform/finance/"' in body) == _finance_exists()


def test_the_menu_hides_an_admin_list_the_staff_member_may_not_view(client):
    client.force_login(_platform_staff(may_view_brands=False))
    body = client.get("/platform/").content.decode()
    assert 'href="/admin/accounts/brand/' not in body
    assert 'href="/platform/arbitration/"' in body
    assert client.get("/admin/accounts/brand/").status_code == 403


def test_platform_home_is_for_platform_staff_only(client):
    assert client.get("/platform/").status_code == 302  # sign in first
    client.force_login(UserFactory())
    assert client.get("/platform/").status_code == 403
    assert client.get("/platform/arbitration/").status_code == 403
    client.force_login(BrandStaffFactory(role=BrandRole.OWNER).user)
    assert client.get("/platform/").status_code == 403


def _sign_in(client, user, **extra):
    user.set_password(PASSWORD)
    user.save()
    return client.post("/accounts/signin/", {"identifier": user.phone, "password": PASSWORD, **extra})


@pytest.mark.parametrize(
    ("who", "landing"),
    [("brand staff", "/console/"), ("platform staff", "/platform/"), ("consumer", "/")],
)
def test_sign_in_lands_each_person_on_its_home(client, who, landing):
    user = {
        "brand staff": lambda: BrandStaffFactory(role=BrandRole.OPERATIONS).user,
        "platform staff": lambda: UserFactory(is_staff=True),
        "consumer": UserFactory,
    }[who]()
    response = _sign_in(client, user)
    assert response.status_code == 302 and response["Location"] == landing


def test_a_next_parameter_still_wins(client):
    user = BrandStaffFactory(role=BrandRole.OWNER).user
    response = _sign_in(client, user, next="/trade/orders/")
    assert response["Location"] == "/trade/orders/"
    assert 'name="next" value=""' in client.get("/accounts/signin/").content.decode()
