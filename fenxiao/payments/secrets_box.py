"""Encryption at rest for merchant secrets (APIv3 key, private key).

The Fernet key is derived with HKDF-SHA256 from ``FENXIAO_ENCRYPTION_KEY`` when that environment
variable is set, otherwise from ``SECRET_KEY`` (which production settings already require).  Rotating
the source key makes stored secrets unreadable: re-enter them in the admin form.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnavailable(Exception):
    """A stored secret could not be decrypted (the encryption key changed)."""


@lru_cache(maxsize=4)
def _fernet(material: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"fenxiao-payments", info=b"merchant-secrets/v1"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _box() -> Fernet:
    return _fernet(os.environ.get("FENXIAO_ENCRYPTION_KEY") or settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnavailable("stored secret cannot be decrypted with the current key") from exc
