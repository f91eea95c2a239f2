"""The Tencent Cloud SMS provider, through Tencent's SDK, against a local server that speaks API 3.0
and checks the TC3-HMAC-SHA256 signature (``tencent_sms_server``)."""

from __future__ import annotations

import pytest

from fenxiao.accounts.models import SmsCode, SmsPurpose
from fenxiao.accounts.sms import get_provider
from fenxiao.accounts.sms.base import SmsSendError
from fenxiao.accounts.sms.codes import code_hash, send_code
from fenxiao.accounts.sms.tencent import TencentSmsProvider

from .tencent_sms_server import TencentSmsServer

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"


@pytest.fixture
def server():
    with TencentSmsServer(secret_id=SECRET_ID, secret_key=SECRET_KEY, sdk_app_id="1400006666") as running:
        yield running


def config(server: TencentSmsServer, **changes) -> dict:
    return {
        "SECRET_ID": SECRET_ID,
        "SECRET_KEY": SECRET_KEY,
        "REGION": "ap-guangzhou",
        "SDK_APP_ID": "1400006666",
        "SIGN_NAME": "分销平台",
        "TEMPLATE_ID": "449739",
        "ENDPOINT": server.endpoint,
        "PROTOCOL": "http",
        **changes,
    }


def test_sends_the_code_as_template_parameters(server):
    reference = TencentSmsProvider(config(server)).send_code(phone="13711112222", code="048213", minutes=10)
    assert reference.startswith("2433:")
    (request,) = server.received
    assert request["PhoneNumberSet"] == ["+8613711112222"]
    assert request["TemplateParamSet"] == ["048213", "10"]
    assert (request["SignName"], request["TemplateId"], request["SmsSdkAppId"]) == (
        "分销平台",
        "449739",
        "1400006666",
    )


def test_a_wrong_secret_fails_the_signature_check(server):
    provider = TencentSmsProvider(config(server, SECRET_KEY="not-the-key"))
    with pytest.raises(SmsSendError, match="AuthFailure.SignatureFailure"):
        provider.send_code(phone="13711112222", code="048213", minutes=10)
    assert server.received == []


def test_a_per_number_refusal_is_an_error(server):
    server.daily_limited.add("+8613711112222")
    with pytest.raises(SmsSendError, match="LimitExceeded.PhoneNumberDailyLimit"):
        TencentSmsProvider(config(server)).send_code(phone="13711112222", code="048213", minutes=10)


def test_missing_configuration_is_named():
    with pytest.raises(SmsSendError, match="TENCENT_SMS_SECRET_ID.*TENCENT_SMS_TEMPLATE_ID"):
        TencentSmsProvider({"SDK_APP_ID": "1", "SIGN_NAME": "x", "SECRET_KEY": "k"})


@pytest.mark.django_db
def test_selected_by_setting_sends_through_the_codes_service(server, settings):
    settings.SMS_PROVIDER = "tencent"
    settings.TENCENT_SMS = config(server)
    assert isinstance(get_provider(), TencentSmsProvider)
    row = send_code(phone="13711112222", purpose=SmsPurpose.SIGNUP, ip="203.0.113.5")
    code = server.received[0]["TemplateParamSet"][0]
    assert row.code_hash == code_hash("13711112222", SmsPurpose.SIGNUP, code) and code not in row.code_hash


@pytest.mark.django_db
def test_a_provider_failure_writes_nothing(server, settings):
    settings.SMS_PROVIDER = "tencent"
    settings.TENCENT_SMS = config(server, SECRET_KEY="wrong")
    with pytest.raises(SmsSendError):
        send_code(phone="13711112222", purpose=SmsPurpose.SIGNUP, ip=None)
    assert not SmsCode.objects.exists()
