"""Build server messages exactly as WeChat sends them (XML, signatures, AES envelope)."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlencode

import xmltodict
from wechatpy.crypto import WeChatCrypto

from fenxiao.core import clock

APPID = "wx5d1e2c3b4a596877"
SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "fenxiaoToken2026"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def event_xml(openid: str, event: str, key: str = "") -> str:
    extra = f"<EventKey><![CDATA[{key}]]></EventKey>" if key else ""
    if key and event in {"subscribe", "SCAN"}:
        extra += (
            "<Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xLzJrUVFqZTBlZ2h]]></Ticket>"
        )
    return (
        "<xml><ToUserName><![CDATA[gh_3f1a2b3c4d5e]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(clock.now().timestamp())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{extra}</xml>"
    )


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def signed_query(
    *, token: str = TOKEN, timestamp: str | None = None, nonce: str | None = None, **extra
) -> dict:
    timestamp = timestamp or str(int(clock.now().timestamp()))
    nonce = nonce or str(secrets.randbelow(10**10))
    return {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def plain(openid: str, event: str, key: str = "") -> tuple[str, bytes]:
    query = signed_query(openid=openid)
    return urlencode(query), event_xml(openid, event, key).encode()


def encrypted(openid: str, event: str, key: str = "") -> tuple[str, bytes]:
    """AES mode: the body carries only ToUserName and Encrypt; msg_signature is in the URL."""
    query = signed_query(openid=openid, encrypt_type="aes")
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    envelope = xmltodict.parse(
        crypto.encrypt_message(event_xml(openid, event, key), query["nonce"], query["timestamp"])
    )
    query["msg_signature"] = envelope["xml"]["MsgSignature"]
    body = (
        "<xml><ToUserName><![CDATA[gh_3f1a2b3c4d5e]]></ToUserName>"
        f"<Encrypt><![CDATA[{envelope['xml']['Encrypt']}]]></Encrypt></xml>"
    )
    return urlencode(query), body.encode()
