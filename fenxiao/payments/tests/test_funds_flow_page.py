"""The platform's funds-flow page: platform staff put a brand on a flow; the sub_mchid is stored
encrypted and never shown; everyone else gets 403 (or the sign-in page); bad input writes nothing."""

import pytest
from django.urls import reverse

from fenxiao.accounts.tests.factories import BrandFactory, BrandStaffFactory, UserFactory
from fenxiao.payments.models import BrandFundsFlow, FundsFlow

URL = "/platform/funds-flow/"


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True))
    return client


def test_the_route_is_the_platform_pages(db):
    assert reverse("platform:funds_flow") == URL


def test_platform_staff_put_a_brand_on_the_service_provider_flow(staff_client, merchant):
    brand = BrandFactory(name="茶厂")
    page = staff_client.get(URL)
    assert page.status_code == 200 and "茶厂" in page.content.decode()
    answer = staff_client.post(
        URL, {"brand": brand.pk, "flow": "service_provider", "sub_mchid": "1900000301"}
    )
    assert answer.status_code == 302
    setting = BrandFundsFlow.objects.get(brand=brand)
    assert setting.flow == FundsFlow.SERVICE_PROVIDER and setting.sub_mchid == "1900000301"
    assert "1900000301" not in setting.sub_mchid_encrypted and "1900000301" not in repr(setting)
    assert "1900000301" not in staff_client.get(URL).content.decode()  # write-only
    # Back to the platform flow: the sub_mchid stays on file for a later switch back.
    assert staff_client.post(URL, {"brand": brand.pk, "flow": "platform_merchant"}).status_code == 302
    assert staff_client.post(URL, {"brand": brand.pk, "flow": "service_provider"}).status_code == 302
    assert BrandFundsFlow.objects.get(brand=brand).sub_mchid == "1900000301"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"flow": "service_provider", "sub_mchid": ""}, "Give the brand"),
        ({"flow": "service_provider", "sub_mchid": "12ab"}, "8 to 12 digits"),
        ({"flow": "platform_merchant", "sub_mchid": "1900000301"}, "Only the service-provider flow"),
        ({"flow": "somewhere"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(staff_client, merchant, data, message):
    brand = BrandFactory()
    answer = staff_client.post(URL, {"brand": brand.pk, **data})
    assert answer.status_code == 400 and message in answer.content.decode()
    assert not BrandFundsFlow.objects.exists()


def test_no_service_provider_flow_before_the_platform_has_a_merchant(staff_client):
    brand = BrandFactory()
    answer = staff_client.post(
        URL, {"brand": brand.pk, "flow": "service_provider", "sub_mchid": "1900000301"}
    )
    assert answer.status_code == 400 and "service-provider merchant" in answer.content.decode()


def test_only_platform_staff(client, db):
    assert client.get(URL).status_code == 302  # sign in first
    brand = BrandFactory()
    for user in (UserFactory(), BrandStaffFactory(brand=brand).user):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"brand": brand.pk, "flow": "platform_merchant"}).status_code == 403
    assert not BrandFundsFlow.objects.exists()


def test_the_brand_console_says_when_the_platform_put_the_brand_on_the_service_provider_flow(
    client, merchant
):
    from fenxiao.accounts.roles import BrandRole
    from fenxiao.payments.funds_flow import set_funds_flow

    staff = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(staff.user)
    url = f"/console/b/{staff.brand_id}/payments/"
    assert 'id="funds-flow"' not in client.get(url).content.decode()
    set_funds_flow(
        staff=UserFactory(is_staff=True),
        brand_id=staff.brand_id,
        flow="service_provider",
        sub_mchid="1900000301",
    )
    page = client.get(url).content.decode()
    assert 'id="funds-flow"' in page and "1900000301" not in page


def test_the_demo_provider_puts_brands_on_the_service_provider_flow_and_knows_them(db, monkeypatch):
    from django.core.management import call_command

    from fenxiao.payments.wechatpay_local.server import LocalWeChatPay

    started = []
    monkeypatch.setattr(LocalWeChatPay, "serve_forever", lambda self: started.append(self))
    brand = BrandFactory()
    call_command("wechatpay_local", "--port", "0", "--service-provider", stdout=None)
    setting = BrandFundsFlow.objects.get(brand=brand)
    assert setting.flow == FundsFlow.SERVICE_PROVIDER
    assert started[0].sub_merchants == {setting.sub_mchid: started[0].merchants.popitem()[0]}
    started[0]._httpd.server_close()
