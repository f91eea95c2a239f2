from urllib.parse import urlencode

import pytest
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandFactory, BrandStaffFactory, UserFactory
from fenxiao.core.models import OutboxEvent
from fenxiao.crm import wechat
from fenxiao.crm.models import DistributorQrCode, Fan, Member, WechatAccount
from fenxiao.crm.wechat_local import LocalWechat
from fenxiao.distribution.tests.factories import distributor_of

from .wechat_helpers import AES_KEY, APPID, SECRET, TOKEN, encrypted, plain, signed_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand():
    brand = BrandFactory()
    wechat.save_account(
        actor=BrandStaffFactory(brand=brand, role=BrandRole.OWNER),
        appid=APPID,
        secret=SECRET,
        token=TOKEN,
        aes_key=AES_KEY,
    )
    return brand


@pytest.fixture
def local_wechat(settings):
    with LocalWechat({APPID: SECRET}) as server:
        settings.WECHAT_API_BASE = server.base_url
        settings.WECHAT_OPEN_BASE = server.base_url
        yield server


def _post(client, brand, query: str, body: bytes):
    return client.post(f"/crm/wechat/{brand.pk}/?{query}", data=body, content_type="text/xml")


def test_secrets_are_encrypted_at_rest(brand):
    account = WechatAccount.objects.get(brand=brand)
    assert SECRET not in account.secret_encrypted and TOKEN not in account.token_encrypted
    assert wechat.config_for(brand.pk).secret == SECRET


def test_echostr_verification(client, brand):
    query = signed_query(echostr="8812349912345")
    response = client.get(f"/crm/wechat/{brand.pk}/", query)
    assert response.status_code == 200 and response.content == b"8812349912345"
    bad = client.get(f"/crm/wechat/{brand.pk}/", {**query, "signature": "0" * 40})
    assert bad.status_code == 403


def test_invalid_and_replayed_signatures_are_refused(client, brand):
    query, body = plain("oFan1", "subscribe")
    tampered = query.replace("signature=", "signature=f")
    assert _post(client, brand, tampered, body).status_code == 403
    assert not Fan.objects.exists()
    assert _post(client, brand, query, body).status_code == 200
    replay = _post(client, brand, query, body)
    assert replay.status_code == 403 and b"replayed" in replay.content
    assert Fan.objects.count() == 1 and Member.objects.count() == 1
    stale = urlencode(signed_query(timestamp="1500000000", openid="oFan1"))
    assert _post(client, brand, stale, body).status_code == 403
    wrong_token = urlencode(signed_query(token="other", openid="oFan1"))
    assert _post(client, brand, wrong_token, body).status_code == 403


def test_plain_subscribe_creates_fan_and_member_with_welcome_reply(client, brand):
    query, body = plain("oPlainFan", "subscribe")
    response = _post(client, brand, query, body)
    reply = xmltodict.parse(response.content)["xml"]
    assert reply["ToUserName"] == "oPlainFan" and reply["MsgType"] == "text"
    fan = Fan.objects.get(brand=brand, openid="oPlainFan")
    assert fan.subscribed and fan.member.source_channel == "wechat" and fan.member.consumer is None
    assert OutboxEvent.objects.filter(topic="member.created").count() == 1
    query, body = plain("oPlainFan", "unsubscribe")
    assert _post(client, brand, query, body).content == b"success"
    fan.refresh_from_db()
    assert not fan.subscribed and fan.unsubscribed_at is not None


def test_encrypted_scan_subscribe_attributes_fan_to_distributor(client, brand, local_wechat):
    seller = distributor_of(brand).distributor
    qrcode = wechat.distributor_qrcode(brand_id=brand.pk, distributor_id=seller.pk)
    assert local_wechat.qrcodes[0]["scene"] == {"scene_str": qrcode.scene}
    assert qrcode.url.startswith("http://weixin.qq.com/q/")
    query, body = encrypted("oAesFan", "subscribe", f"qrscene_{qrcode.scene}")
    response = _post(client, brand, query, body)
    assert response.status_code == 200
    envelope = xmltodict.parse(response.content)["xml"]
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    reply = crypto.decrypt_message(
        response.content, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    assert "oAesFan" in reply
    fan = Fan.objects.get(openid="oAesFan")
    assert fan.distributor == seller and fan.member.source_distributor == seller
    # a later SCAN of another distributor's code does not steal the fan (first touch)
    other = distributor_of(brand).distributor
    other_code = DistributorQrCode.objects.create(
        brand=brand, distributor=other, scene="x1", ticket="t", url="http://weixin.qq.com/q/x"
    )
    query, body = encrypted("oAesFan", "SCAN", other_code.scene)
    assert _post(client, brand, query, body).content == b"success"
    fan.refresh_from_db()
    assert fan.distributor == seller


def test_encrypted_message_with_bad_msg_signature_is_refused(client, brand):
    query, body = encrypted("oBad", "subscribe")
    query = query.replace("msg_signature=", "msg_signature=0")
    assert _post(client, brand, query, body).status_code == 403
    assert not Fan.objects.exists()


def test_qrcode_with_wrong_secret_is_a_clear_error(brand, local_wechat):
    local_wechat.apps[APPID] = "changed"
    seller = distributor_of(brand).distributor
    with pytest.raises(Exception, match="40125|refused"):
        wechat.distributor_qrcode(brand_id=brand.pk, distributor_id=seller.pk)
    assert not DistributorQrCode.objects.exists()


def _oauth(client, brand, scope: str):
    start = client.get(f"/crm/wechat/{brand.pk}/oauth/", {"scope": scope})
    assert start.status_code == 302 and start["Location"].endswith("#wechat_redirect")
    at_wechat = requests.get(start["Location"].split("#")[0], allow_redirects=False, timeout=5)
    assert at_wechat.status_code == 302
    return client.get(at_wechat.headers["Location"].replace("http://testserver", ""))


def test_oauth_userinfo_links_signed_in_consumer_and_merges_fan_member(client, brand, local_wechat):
    query, body = plain(local_wechat.current_openid, "subscribe")
    _post(client, brand, query, body)
    user = UserFactory()
    client.force_login(user)
    done = _oauth(client, brand, "snsapi_userinfo")
    assert done.status_code == 302 and done["Location"] == f"/crm/member/{brand.pk}/"
    fan = Fan.objects.get(openid=local_wechat.current_openid)
    assert fan.user == user and fan.nickname == "微信用户"
    assert Member.objects.get(brand=brand, consumer=user) == fan.member
    assert Member.objects.filter(brand=brand).count() == 1
    # JSAPI payments inside WeChat find the payer's openid under the Official Account's appid.
    from fenxiao.crm.wechat import config_for
    from fenxiao.payments.models import WechatIdentity

    identity = WechatIdentity.objects.get(user=user)
    assert (identity.appid, identity.openid) == (config_for(brand.pk).appid, local_wechat.current_openid)


def test_oauth_base_signs_in_a_linked_fan_and_asks_others_to_sign_in(client, brand, local_wechat):
    done = _oauth(client, brand, "snsapi_base")
    assert done.status_code == 302 and "/accounts/signin/" in done["Location"]
    user = UserFactory()
    client.force_login(user)
    link = f"/crm/wechat/{brand.pk}/oauth/link/"
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert Fan.objects.get(openid=local_wechat.current_openid).user == user
    client.logout()
    done = _oauth(client, brand, "snsapi_base")
    assert done.status_code == 302 and done["Location"] == f"/crm/member/{brand.pk}/"
    assert client.get(f"/crm/member/{brand.pk}/").context["user"] == user


def test_oauth_state_and_code_are_checked(client, brand, local_wechat):
    client.get(f"/crm/wechat/{brand.pk}/oauth/")
    assert (
        client.get(f"/crm/wechat/{brand.pk}/oauth/callback/", {"code": "x", "state": "forged"}).status_code
        == 400
    )
    start = client.get(f"/crm/wechat/{brand.pk}/oauth/")
    state = start["Location"].split("state=")[1].split("#")[0]
    bad = client.get(f"/crm/wechat/{brand.pk}/oauth/callback/", {"code": "not-a-code", "state": state})
    assert bad.status_code == 400 and b"40029" in bad.content


def test_distributor_gets_its_own_qrcode(client, brand, local_wechat):
    seller = distributor_of(brand).distributor
    client.force_login(seller)
    assert client.post(f"/crm/d/{brand.pk}/qrcode/").status_code == 302
    assert client.post(f"/crm/d/{brand.pk}/qrcode/").status_code == 302  # the same code again
    code = DistributorQrCode.objects.get(brand=brand)
    assert code.distributor == seller and len(local_wechat.qrcodes) == 1
    assert code.url in client.get(f"/crm/d/{brand.pk}/customers/").content.decode()
