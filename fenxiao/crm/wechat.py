"""WeChat Official Account (filled below)."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.core import clock

from .models import WechatNonce

NONCE_TTL = timedelta(minutes=10)


def prune_nonces() -> int:
    return WechatNonce.objects.filter(seen_at__lt=clock.now() - NONCE_TTL).delete()[0]
