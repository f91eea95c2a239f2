"""Encryption at rest for merchant secrets (APIv3 key, private key): ``core.secrets`` with the
payments' own key derivation."""

from __future__ import annotations

from fenxiao.core.secrets import SecretBox, SecretUnavailable

__all__ = ["SecretUnavailable", "decrypt", "encrypt"]

_BOX = SecretBox(salt=b"fenxiao-payments", info=b"merchant-secrets/v1")
encrypt = _BOX.encrypt
decrypt = _BOX.decrypt
