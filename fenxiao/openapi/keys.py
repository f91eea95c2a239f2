"""API keys: ``fxk_<prefix>_<secret>``.  Only the prefix (for lookup) and a SHA-256 of the whole
key are stored; the key is compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_START = "fxk_"


def new_key() -> tuple[str, str, str]:
    """(raw key to show once, prefix, hash)."""
    prefix = secrets.token_hex(6)
    raw = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, hash_key(raw)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def prefix_of(raw: str) -> str | None:
    if not raw.startswith(KEY_START):
        return None
    prefix, _, secret = raw[len(KEY_START) :].partition("_")
    return prefix if len(prefix) == 12 and secret else None


def matches(raw: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(raw), stored_hash)
