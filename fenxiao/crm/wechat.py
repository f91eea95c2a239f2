"""WeChat Official Account through wechatpy: server messages (signature, replay, plain and AES
modes), fans from subscribe / unsubscribe / SCAN events, a scene QR code per distributor, and
OAuth web sign-in.

The WeChat endpoints are settings (``WECHAT_API_BASE``, ``WECHAT_OPEN_BASE``, or the same names in
the environment); the real ones are the defaults.  Tests and demos point them at
``crm.wechat_local``, a local server speaking the same protocol.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.oauth import WeChatOAuth
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock

from . import secrets
from .members import create_fan_member, ensure_member
from .models import Channel, DistributorQrCode, Fan, Member, WechatAccount, WechatNonce

NONCE_TTL = timedelta(minutes=10)
TIMESTAMP_WINDOW = timedelta(minutes=5)


def api_base() -> str:
    return getattr(settings, "WECHAT_API_BASE", None) or os.environ.get(
        "WECHAT_API_BASE", "https://api.weixin.qq.com/"
    )


def open_base() -> str:
    return getattr(settings, "WECHAT_OPEN_BASE", None) or os.environ.get(
        "WECHAT_OPEN_BASE", "https://open.weixin.qq.com/"
    )


class WechatError(Exception):
    """A message or call WeChat's protocol refuses; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class AccountConfig:
    brand_id: int
    appid: str
    secret: str
    token: str
    aes_key: str


def config_for(brand_id: int) -> AccountConfig | None:
    account = WechatAccount.objects.filter(brand_id=brand_id).first()
    if account is None:
        return None
    return AccountConfig(
        brand_id=brand_id,
        appid=account.appid,
        secret=secrets.decrypt(account.secret_encrypted),
        token=secrets.decrypt(account.token_encrypted),
        aes_key=secrets.decrypt(account.aes_key_encrypted),
    )


@transaction.atomic
def save_account(*, actor: BrandStaff, appid: str, secret: str, token: str, aes_key: str) -> WechatAccount:
    """Set the brand's Official Account; blank secret / token / key keep the stored ones."""
    if not actor.can(Perm.SETTINGS_MANAGE):
        raise PermissionDenied(_("Your role does not allow this."))
    appid = appid.strip()
    if not appid.startswith("wx") or len(appid) > 32:
        raise ValidationError(_("An AppID starts with “wx”."))
    if aes_key and len(aes_key) != 43:
        raise ValidationError(_("The EncodingAESKey is 43 characters long."))
    if WechatAccount.objects.filter(appid=appid).exclude(brand_id=actor.brand_id).exists():
        raise ValidationError(_("This AppID belongs to another brand."))
    account, _created = WechatAccount.objects.get_or_create(
        brand_id=actor.brand_id, defaults={"appid": appid}
    )
    account.appid = appid
    for field, value in (
        ("secret_encrypted", secret),
        ("token_encrypted", token),
        ("aes_key_encrypted", aes_key),
    ):
        if value:
            setattr(account, field, secrets.encrypt(value.strip()))
    account.save()
    return account


def prune_nonces() -> int:
    return WechatNonce.objects.filter(seen_at__lt=clock.now() - NONCE_TTL).delete()[0]


def verify(config: AccountConfig, *, signature: str, timestamp: str, nonce: str, record: bool) -> None:
    """Check WeChat's signature over sorted (token, timestamp, nonce); with ``record``, refuse a
    timestamp outside the window and a (timestamp, nonce) already seen (a replay)."""
    try:
        check_signature(config.token, signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise WechatError("invalid signature", status=403) from exc
    if not record:
        return
    if not timestamp.isdigit():
        raise WechatError("invalid timestamp", status=400)
    now = clock.now()
    if abs(now.timestamp() - int(timestamp)) > TIMESTAMP_WINDOW.total_seconds():
        raise WechatError("stale timestamp", status=403)
    try:
        with transaction.atomic():
            WechatNonce.objects.create(
                brand_id=config.brand_id, timestamp=int(timestamp), nonce=nonce[:64], seen_at=now
            )
    except IntegrityError as exc:
        raise WechatError("replayed message", status=403) from exc


def handle_message(config: AccountConfig, params: dict, body: bytes) -> str:
    """Process one POSTed server message; returns the body to answer (XML reply or "success")."""
    verify(
        config,
        signature=params.get("signature", ""),
        timestamp=params.get("timestamp", ""),
        nonce=params.get("nonce", ""),
        record=True,
    )
    encrypted = params.get("encrypt_type") == "aes"
    crypto = None
    if encrypted:
        if not config.aes_key:
            raise WechatError("AES mode is not configured", status=400)
        crypto = WeChatCrypto(config.token, config.aes_key, config.appid)
        try:
            xml = crypto.decrypt_message(
                body, params.get("msg_signature", ""), params["timestamp"], params["nonce"]
            )
        except InvalidSignatureException as exc:
            raise WechatError("invalid msg_signature", status=403) from exc
        except Exception as exc:  # noqa: BLE001 — wechatpy raises several types for bad payloads
            raise WechatError("undecryptable message", status=400) from exc
    else:
        xml = body
    try:
        message = parse_message(xml)
    except Exception as exc:  # noqa: BLE001 — malformed XML
        raise WechatError("malformed XML", status=400) from exc
    if message is None:
        raise WechatError("empty message", status=400)
    text = apply_event(config.brand_id, message)
    if not text:
        return "success"
    reply = TextReply(content=text, message=message).render()
    if crypto is not None:
        return crypto.encrypt_message(reply, params["nonce"], params["timestamp"])
    return reply


@transaction.atomic
def apply_event(brand_id: int, message) -> str:
    """Update the fan for subscribe / unsubscribe / SCAN; returns the welcome text, if any."""
    event = getattr(message, "event", "")
    if message.type != "event" or event not in {"subscribe", "subscribe_scan", "scan", "unsubscribe"}:
        return ""
    openid = message.source
    now = clock.now()
    fan, _created = Fan.objects.select_for_update().get_or_create(brand_id=brand_id, openid=openid)
    if event == "unsubscribe":
        fan.subscribed = False
        fan.unsubscribed_at = now
        fan.save(update_fields=["subscribed", "unsubscribed_at"])
        return ""
    scene = getattr(message, "scene_id", "") if event in {"subscribe_scan", "scan"} else ""
    qrcode = DistributorQrCode.objects.filter(brand_id=brand_id, scene=scene).first() if scene else None
    if qrcode and fan.distributor_id is None:
        fan.distributor_id = qrcode.distributor_id  # first touch keeps the fan
    if event in {"subscribe", "subscribe_scan"}:
        fan.subscribed = True
        fan.subscribed_at = now
    if fan.member_id is None:
        if fan.user_id:
            fan.member = ensure_member(
                brand_id=brand_id,
                consumer=fan.user,
                channel=Channel.WECHAT,
                distributor_id=fan.distributor_id,
            )
        else:
            fan.member = create_fan_member(
                brand_id=brand_id, name=f"WeChat {openid[-6:]}", distributor_id=fan.distributor_id
            )
    elif (
        qrcode
        and fan.member.source_distributor_id is None
        and fan.member.consumer_id != qrcode.distributor_id
    ):
        Member.objects.filter(pk=fan.member_id).update(source_distributor_id=qrcode.distributor_id)
    fan.save()
    return _("Welcome! Tap the menu to visit the shop.") if event != "scan" else ""


def client_for(config: AccountConfig) -> WeChatClient:
    """wechatpy's client against the configured API base (its token URL is fixed upstream)."""
    base = api_base()

    class Client(WeChatClient):
        API_BASE_URL = f"{base}cgi-bin/"

        def fetch_access_token(self):
            return self._fetch_access_token(
                url=f"{base}cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    return Client(config.appid, config.secret, timeout=10)


@transaction.atomic
def distributor_qrcode(*, brand_id: int, distributor_id: int) -> DistributorQrCode:
    """The distributor's permanent scene QR code on the brand's Official Account."""
    from fenxiao.distribution.services import is_active_distributor

    existing = DistributorQrCode.objects.filter(brand_id=brand_id, distributor_id=distributor_id).first()
    if existing:
        return existing
    if not is_active_distributor(distributor_id, brand_id):
        raise PermissionDenied(_("Only the brand's active distributors get a QR code."))
    config = config_for(brand_id)
    if config is None or not config.secret:
        raise ValidationError(_("The brand has not set up its WeChat Official Account."))
    scene = f"d{distributor_id}-{pysecrets.token_hex(4)}"
    try:
        result = client_for(config).qrcode.create(
            {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
        )
    except Exception as exc:  # noqa: BLE001 — network or WeChat error code
        raise ValidationError(_("WeChat refused to create the QR code: %(error)s") % {"error": exc}) from exc
    return DistributorQrCode.objects.create(
        brand_id=brand_id,
        distributor_id=distributor_id,
        scene=scene,
        ticket=result["ticket"],
        url=result["url"],
    )


def oauth_for(config: AccountConfig, *, redirect_uri: str, scope: str, state: str) -> WeChatOAuth:
    oauth = WeChatOAuth(config.appid, config.secret, redirect_uri, scope=scope, state=state)
    oauth.API_BASE_URL = api_base()
    oauth.OAUTH_BASE_URL = f"{open_base()}connect/"
    return oauth


def oauth_exchange(config: AccountConfig, *, code: str, scope: str) -> dict:
    """Trade the code for the openid (and the profile with ``snsapi_userinfo``)."""
    oauth = oauth_for(config, redirect_uri="", scope=scope, state="")
    try:
        token = oauth.fetch_access_token(code)
        info = {"openid": token["openid"], "unionid": token.get("unionid", "")}
        if scope == "snsapi_userinfo":
            profile = oauth.get_user_info()
            info.update(nickname=profile.get("nickname", ""), unionid=profile.get("unionid", info["unionid"]))
    except Exception as exc:  # noqa: BLE001 — WeChatOAuthException or network
        raise WechatError(_("WeChat sign-in failed: %(error)s") % {"error": exc}, status=400) from exc
    return info


def fan_user(brand_id: int, openid: str):
    fan = Fan.objects.filter(brand_id=brand_id, openid=openid).select_related("user").first()
    return fan.user if fan and fan.user_id and fan.user.is_active else None


@transaction.atomic
def link_openid(*, brand_id: int, user, openid: str, unionid: str = "", nickname: str = "") -> Fan:
    """Attach the WeChat identity to ``user``; the fan's member (if it had no account) becomes
    the user's member, or merges into the one the user already has."""
    fan, _created = Fan.objects.select_for_update().get_or_create(brand_id=brand_id, openid=openid)
    if fan.user_id and fan.user_id != user.pk:
        raise WechatError(_("This WeChat account is already linked to someone else."), status=409)
    fan.user = user
    fan.unionid = unionid or fan.unionid
    fan.nickname = nickname[:64] or fan.nickname
    existing = Member.objects.filter(brand_id=brand_id, consumer=user).first()
    if fan.member_id and fan.member.consumer_id is None:
        if existing:
            orphan = fan.member
            fan.member = existing
            fan.save()
            if not orphan.points_entries.exists():
                orphan.delete()
        else:
            Member.objects.filter(pk=fan.member_id).update(consumer=user, display_name=str(user)[:60])
    elif fan.member_id is None:
        fan.member = existing or ensure_member(
            brand_id=brand_id, consumer=user, channel=Channel.WECHAT, distributor_id=fan.distributor_id
        )
    fan.save()
    _remember_for_payments(brand_id=brand_id, user=user, openid=openid)
    return fan


def _remember_for_payments(*, brand_id: int, user, openid: str) -> None:
    """JSAPI payments and payouts inside WeChat need the payer's openid under the Official
    Account's appid (the one bound to the collecting merchant): keep it for the payments app."""
    from fenxiao.payments.services import PaymentError, remember_openid

    config = config_for(brand_id)
    if config is None:
        return
    try:
        remember_openid(user=user, appid=config.appid, openid=openid)
    except PaymentError as exc:
        raise WechatError(exc.messages[0], status=409) from exc
