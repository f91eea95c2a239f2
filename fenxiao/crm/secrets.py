"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from ``SECRET_KEY`` by
HKDF-SHA256 with a CRM-specific ``info``, so the CRM's key is independent of other uses of
``SECRET_KEY``.  Rotating ``SECRET_KEY`` requires re-entering the Official Account secrets."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

INFO = b"fenxiao.crm.wechat-account-secrets.v1"


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("the stored secret cannot be decrypted (was SECRET_KEY changed?)") from exc
