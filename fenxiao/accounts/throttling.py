"""Sign-in throttling and lock-out.

Two limits, counted over a sliding window of :data:`WINDOW`, in the database so that every web
process sees the same counts:

- per account (the identifier typed, hashed): after :data:`MAX_FAILURES_PER_ACCOUNT` failures the
  account is locked until the window of the oldest counted failure has passed; a successful
  sign-in clears its failures;
- per client address: after :data:`MAX_FAILURES_PER_IP` failures (password spraying over many
  accounts) that address may not try again until its window has passed.

While locked, the password is not even checked, so a locked account cannot be probed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from fenxiao.core import clock

from .models import SignInFailure

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 30


@dataclass(frozen=True)
class Lockout:
    until: datetime
    per_account: bool

    @property
    def minutes_left(self) -> int:
        seconds = (self.until - clock.now()).total_seconds()
        return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def identifier_hash(identifier: str) -> str:
    normalised = identifier.strip().lower().encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"signin:" + normalised, hashlib.sha256).hexdigest()


def _lock_from(failures: list[datetime], limit: int) -> datetime | None:
    if len(failures) < limit:
        return None
    # Locked until the failure that made the count reach the limit leaves the window.
    return sorted(failures)[-limit] + WINDOW


def lockout_for(identifier: str, ip: str | None) -> Lockout | None:
    """The lock in force for this identifier or address, if any."""
    since = clock.now() - WINDOW
    recent = SignInFailure.objects.filter(created_at__gt=since)
    account = _lock_from(
        list(recent.filter(identifier_hash=identifier_hash(identifier)).values_list("created_at", flat=True)),
        MAX_FAILURES_PER_ACCOUNT,
    )
    if account and account > clock.now():
        return Lockout(until=account, per_account=True)
    if ip:
        by_ip = _lock_from(
            list(recent.filter(ip=ip).values_list("created_at", flat=True)), MAX_FAILURES_PER_IP
        )
        if by_ip and by_ip > clock.now():
            return Lockout(until=by_ip, per_account=False)
    return None


@transaction.atomic
def record_failure(identifier: str, ip: str | None) -> None:
    SignInFailure.objects.create(
        identifier_hash=identifier_hash(identifier), ip=ip or None, created_at=clock.now()
    )
    # Old rows are of no further use to either limit.
    SignInFailure.objects.filter(created_at__lt=clock.now() - 2 * WINDOW).delete()


@transaction.atomic
def record_success(identifier: str) -> None:
    SignInFailure.objects.filter(identifier_hash=identifier_hash(identifier)).delete()


def client_ip(request) -> str | None:
    """The client's address.  Behind a reverse proxy set ``TRUSTED_PROXY_COUNT`` (docs/deployment.md)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
