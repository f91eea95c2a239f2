"""The brand's payment settings page: tenancy, roles, bad input, and that checkout follows it."""

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.core.testing import fill_route as fill
from fenxiao.core.testing import routes_of_module as routes
from fenxiao.payments.models import BrandPaymentSetting
from fenxiao.payments.wechatpay_local.merchant import connect_merchant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", routes("fenxiao.payments.console_views"))
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_brand_gets_404_on_every_payments_console_url(client, route, method):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    stranger = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(stranger.user)
    response = getattr(client, method)(fill(route, {"brand_id": owner.brand_id}), {"gateway": "sandbox"})
    assert response.status_code == 404
    assert not BrandPaymentSetting.objects.filter(brand=owner.brand).exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (BrandRole.OWNER, True),
        (BrandRole.ADMIN, True),
        (BrandRole.OPERATIONS, False),
        (BrandRole.CUSTOMER_SERVICE, False),
        (BrandRole.FINANCE, False),
    ],
)
def test_role_matrix_for_payment_settings(client, role, allowed):
    staff = BrandStaffFactory(role=role)
    client.force_login(staff.user)
    url = f"/console/b/{staff.brand_id}/payments/"
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url, {"gateway": "sandbox"})
    assert response.status_code == (302 if allowed else 403)
    assert BrandPaymentSetting.objects.filter(brand=staff.brand).exists() is allowed


def test_anonymous_is_sent_to_sign_in(client):
    staff = BrandStaffFactory(role=BrandRole.OWNER)
    response = client.get(f"/console/b/{staff.brand_id}/payments/")
    assert response.status_code == 302 and "/accounts/signin/" in response.url


def test_choose_wechatpay_only_once_the_platform_set_it_up(client, wxpay):
    staff = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(staff.user)
    url = f"/console/b/{staff.brand_id}/payments/"
    refused = client.post(url, {"gateway": "wechatpay"})
    assert refused.status_code == 400 and "not set up WeChat Pay yet" in refused.content.decode()
    assert not BrandPaymentSetting.objects.exists()
    merchant = connect_merchant(wxpay)
    page = client.get(url).content.decode()
    assert "WeChat Pay is set up by the platform" in page and merchant.apiv3_key not in page
    assert client.post(url, {"gateway": "wechatpay"}).status_code == 302
    assert BrandPaymentSetting.objects.get(brand=staff.brand).gateway == "wechatpay"
    assert client.post(url, {"gateway": "default"}).status_code == 302
    assert not BrandPaymentSetting.objects.exists()


def test_bad_choice_is_400_and_writes_nothing(client):
    staff = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(staff.user)
    response = client.post(f"/console/b/{staff.brand_id}/payments/", {"gateway": "alipay"})
    assert response.status_code == 400 and not BrandPaymentSetting.objects.exists()
