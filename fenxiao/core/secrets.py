"""Encryption at rest for credentials the platform must use in clear (payment merchant keys,
WeChat Official Account secrets).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF-SHA256 from ``FENXIAO_ENCRYPTION_KEY``
when that environment variable is set, otherwise from ``SECRET_KEY`` (which production settings
require).  Each use has its own ``salt``/``info``, so the keys are independent.  Rotating the source
key makes stored secrets unreadable: re-enter them.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnavailable(ValueError):
    """A stored secret could not be decrypted (the encryption key changed)."""


@lru_cache(maxsize=8)
def _fernet(material: str, salt: bytes | None, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass(frozen=True)
class SecretBox:
    salt: bytes | None
    info: bytes

    def _box(self) -> Fernet:
        material = os.environ.get("FENXIAO_ENCRYPTION_KEY") or settings.SECRET_KEY
        return _fernet(material, self.salt, self.info)

    def encrypt(self, plain: str) -> str:
        return self._box().encrypt(plain.encode()).decode() if plain else ""

    def decrypt(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self._box().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnavailable("stored secret cannot be decrypted with the current key") from exc
