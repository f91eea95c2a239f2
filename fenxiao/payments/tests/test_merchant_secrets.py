"""Merchant secrets: encrypted at rest, write-only in the admin, never shown back."""

import pytest
from django.db import connection

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.payments.models import MerchantAccount
from fenxiao.payments.secrets_box import SecretUnavailable, decrypt
from fenxiao.payments.wechatpay_local import protocol
from fenxiao.payments.wechatpay_local.merchant import connect_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT apiv3_key_encrypted, private_key_encrypted FROM payments_merchantaccount WHERE id = %s",
            [pk],
        )
        return " ".join(cursor.fetchone())


def test_secrets_are_encrypted_at_rest(wxpay):
    account = connect_merchant(wxpay)
    stored = MerchantAccount.objects.get(pk=account.pk)
    raw = _raw_row(account.pk)
    assert stored.apiv3_key and stored.apiv3_key not in raw
    assert "PRIVATE KEY" not in raw and "PRIVATE KEY" in stored.private_key
    assert stored.apiv3_key not in repr(stored) and stored.apiv3_key not in str(stored)


def test_another_key_cannot_read_them(wxpay, settings, monkeypatch):
    account = connect_merchant(wxpay)
    monkeypatch.setenv("FENXIAO_ENCRYPTION_KEY", "a-different-key")
    with pytest.raises(SecretUnavailable):
        decrypt(MerchantAccount.objects.get(pk=account.pk).apiv3_key_encrypted)


def test_admin_shows_set_not_the_secret_and_replaces_it(wxpay, admin_client):
    account = connect_merchant(wxpay)
    old_key, old_pem = account.apiv3_key, account.private_key
    url = f"/admin/payments/merchantaccount/{account.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert old_key not in page and "PRIVATE KEY" not in page and "set" in page
    form = {
        "name": account.name,
        "mchid": account.mchid,
        "appid": account.appid,
        "cert_serial_no": account.cert_serial_no,
        "verification_mode": account.verification_mode,
        "wechatpay_public_key_id": account.wechatpay_public_key_id,
        "wechatpay_public_key": account.wechatpay_public_key,
        "api_base_url": account.api_base_url,
        "notify_url": "https://shop.example.com/payments/notify/wechatpay/",
        "transfer_scene_id": "1000",
        "active": "on",
        "new_apiv3_key": "",
        "new_private_key": "",
    }
    assert admin_client.post(url, form).status_code == 302  # empty fields keep the secrets
    account.refresh_from_db()
    assert (account.apiv3_key, account.private_key) == (old_key, old_pem)
    bad = admin_client.post(url, dict(form, new_apiv3_key="short", new_private_key="not a key"))
    assert bad.status_code == 200 and "exactly 32 characters" in bad.content.decode()
    assert "not an unencrypted PEM private key" in bad.content.decode()
    assert "not a key" not in bad.content.decode().replace("not an unencrypted", "")
    new_pem = protocol.private_pem(protocol.new_key())
    assert (
        admin_client.post(url, dict(form, new_apiv3_key="N" * 32, new_private_key=new_pem)).status_code == 302
    )
    account.refresh_from_db()
    assert (account.apiv3_key, account.private_key) == ("N" * 32, new_pem.strip())


def test_public_key_mode_needs_the_key_and_its_id(admin_client):
    response = admin_client.post(
        "/admin/payments/merchantaccount/add/",
        {
            "name": "x",
            "mchid": "1900000109",
            "appid": "wx1",
            "cert_serial_no": "AB",
            "verification_mode": "public_key",
            "api_base_url": "https://api.mch.weixin.qq.com",
            "transfer_scene_id": "1000",
            "new_apiv3_key": "K" * 32,
            "new_private_key": protocol.private_pem(protocol.new_key()),
        },
    )
    assert response.status_code == 200 and "needs the WeChat Pay public key" in response.content.decode()
    assert not MerchantAccount.objects.exists()
