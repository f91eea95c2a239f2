import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import get_resolver

from fenxiao.accounts import services
from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus, User
from fenxiao.accounts.roles import BrandRole

from .factories import DEFAULT_PASSWORD, BrandFactory, BrandStaffFactory, UserFactory, sms_code_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
STRONG = "Tea-leaf-2026!"


@pytest.mark.parametrize(("field", "value"), [("phone", "13912345678"), ("email", "new@example.com")])
def test_sign_up_with_phone_or_email_signs_in(client, field, value):
    code = {"sms_code": sms_code_for(value)} if field == "phone" else {}
    response = client.post(
        "/accounts/signup/", {field: value, **code, "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 302
    user = User.objects.get(**{field: value})
    assert user.check_password(STRONG)
    assert client.get("/ping").json() == {"user": user.pk}


def test_sign_up_needs_phone_or_email(client):
    response = client.post("/accounts/signup/", {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 400
    assert (
        "Give a mobile number or an e-mail address." in response.content.decode()
        or "请填写手机号或电子邮箱" in response.content.decode()
    )
    assert User.objects.count() == 0


def test_duplicate_and_weak_are_rejected(client):
    UserFactory(phone="13911112222")
    response = client.post(
        "/accounts/signup/",
        {"phone": "13911112222", "password1": "123", "password2": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "already has an account" in body
    assert "too short" in body
    assert User.objects.count() == 1


def test_bad_phone_format(client):
    response = client.post(
        "/accounts/signup/",
        {"phone": "12345", "password1": STRONG, "password2": STRONG},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "11 digits" in response.content.decode()


@pytest.mark.parametrize("identifier_field", ["phone", "email"])
def test_sign_in_with_either_identifier(client, identifier_field):
    user = UserFactory()
    response = client.post(
        "/accounts/signin/", {"identifier": getattr(user, identifier_field), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/ping").json() == {"user": user.pk}


def test_wrong_password(client):
    user = UserFactory()
    response = client.post(
        "/accounts/signin/", {"identifier": user.phone, "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Wrong mobile number, e-mail or password." in response.content.decode()


def test_open_redirect_is_refused(client):
    user = UserFactory()
    response = client.post(
        "/accounts/signin/",
        {"identifier": user.phone, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == "/"
    client.logout()
    response = client.post(
        "/accounts/signin/", {"identifier": user.phone, "password": DEFAULT_PASSWORD, "next": "/shop/search/"}
    )
    assert response.url == "/shop/search/"


def test_sign_out_is_post_only(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/signout/").status_code == 405
    assert client.post("/accounts/signout/").status_code == 302
    assert client.get("/ping").status_code == 401


def test_brand_application_approval_makes_applicant_owner(client):
    applicant = UserFactory()
    admin = UserFactory(is_staff=True)
    client.force_login(applicant)
    response = client.post(
        "/accounts/brand/apply/", {"name": "山野茶社", "slug": "shanye", "company_name": "山野茶业有限公司"}
    )
    assert response.status_code == 302
    brand = Brand.objects.get(slug="shanye")
    assert brand.status == BrandStatus.PENDING
    assert client.get(f"/console/b/{brand.pk}/products/").status_code == 404
    services.approve_brand(brand, admin)
    assert BrandStaff.objects.get(brand=brand).role == BrandRole.OWNER
    assert client.get(f"/console/b/{brand.pk}/products/").status_code == 200
    with pytest.raises(ValidationError, match="Only a pending application"):
        services.approve_brand(brand, admin)


def test_rejection_needs_a_reason_and_is_shown(client):
    brand = BrandFactory(status=BrandStatus.PENDING, applied_by=UserFactory())
    with pytest.raises(ValidationError):
        services.reject_brand(brand, UserFactory(is_staff=True), "  ")
    services.reject_brand(brand, UserFactory(is_staff=True), "营业执照不清晰")
    client.force_login(brand.applied_by)
    assert "营业执照不清晰" in client.get("/accounts/me/").content.decode()
    assert not BrandStaff.objects.filter(brand=brand).exists()


def test_admin_approve_action(client):
    brand = BrandFactory(status=BrandStatus.PENDING, applied_by=UserFactory())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post("/admin/accounts/brand/", {"action": "approve", "_selected_action": [brand.pk]})
    brand.refresh_from_db()
    assert brand.status == BrandStatus.APPROVED


def _staff_routes():
    return [str(p.pattern) for p in get_resolver("fenxiao.accounts.console_urls").url_patterns]


@pytest.mark.parametrize("route", _staff_routes())
@pytest.mark.parametrize("role", BrandRole.values + ["stranger", "other_brand_owner", "anonymous"])
def test_staff_pages_matrix(client, route, role):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    target = BrandStaffFactory(brand=owner.brand, role=BrandRole.FINANCE)
    url = f"/console/b/{owner.brand_id}/" + route.replace("<int:staff_id>", str(target.pk))
    expected = {"owner": (200, 302), "stranger": (404,), "other_brand_owner": (404,), "anonymous": (302,)}
    if role in BrandRole.values:
        client.force_login(
            owner.user if role == BrandRole.OWNER else BrandStaffFactory(brand=owner.brand, role=role).user
        )
    elif role == "stranger":
        client.force_login(UserFactory())
    elif role == "other_brand_owner":
        client.force_login(BrandStaffFactory(role=BrandRole.OWNER).user)
    response = client.post(url, {"role": BrandRole.OPERATIONS}) if "staff_id" in route else client.get(url)
    assert response.status_code in expected.get(role, (403,)), (role, url, response.status_code)
    if role != BrandRole.OWNER:
        target.refresh_from_db()
        assert target.role == BrandRole.FINANCE


def test_last_owner_cannot_be_removed_or_demoted(client):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    with pytest.raises(ValidationError):
        services.remove_staff(brand=owner.brand, staff_id=owner.pk)
    with pytest.raises(ValidationError):
        services.change_staff_role(brand=owner.brand, staff_id=owner.pk, role=BrandRole.FINANCE)
    second = BrandStaffFactory(brand=owner.brand, role=BrandRole.OWNER)
    services.remove_staff(brand=owner.brand, staff_id=owner.pk)
    assert list(BrandStaff.objects.filter(brand=owner.brand)) == [second]


def test_owner_adds_staff_by_phone(client):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    person = UserFactory()
    client.force_login(owner.user)
    client.post(
        f"/console/b/{owner.brand_id}/staff/",
        {"identifier": person.phone, "role": BrandRole.CUSTOMER_SERVICE},
    )
    assert BrandStaff.objects.get(brand=owner.brand, user=person).role == BrandRole.CUSTOMER_SERVICE
    response = client.post(
        f"/console/b/{owner.brand_id}/staff/",
        {"identifier": "13000000000", "role": BrandRole.FINANCE},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "Ask the person to sign up first" in response.content.decode()


def _settings_in_subprocess(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(extra_env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='fenxiao.settings'; django.setup(); print('ok')",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _settings_in_subprocess({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert _settings_in_subprocess({"SECRET_KEY": "x" * 50}).stdout.strip() == "ok"
