"""Sending and checking SMS verification codes.

Limits (docs/security.md, "SMS codes"):

- a code is :data:`CODE_DIGITS` digits from ``secrets``, stored only as an HMAC-SHA256 keyed with
  ``SECRET_KEY`` over (number, purpose, code), valid :data:`TTL` and for one use;
- at most :data:`MAX_ATTEMPTS` wrong tries per code, then it is dead;
- per number: one code per :data:`RESEND_AFTER`, at most :data:`MAX_PER_NUMBER_PER_DAY` a day;
- per client address: at most :data:`MAX_PER_IP_PER_HOUR` codes an hour.

A refused request writes nothing and sends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from fenxiao.core import clock

from ..models import SmsCode, SmsPurpose, User, phone_validator
from . import get_provider
from .base import SmsSendError

logger = logging.getLogger("fenxiao.sms")

CODE_DIGITS = 6
TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_PER_NUMBER_PER_DAY = 10
MAX_PER_IP_PER_HOUR = 30


class SmsLimited(ValidationError):
    """Too many codes for this number or from this address; ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, code="sms_limited")
        self.retry_after = retry_after


class SmsCodeInvalid(ValidationError):
    """A wrong, expired, used or unknown code."""


def code_hash(phone: str, purpose: str, code: str) -> str:
    message = f"sms:{purpose}:{phone}:{code.strip()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _seconds_until(moment) -> int:
    return max(1, math.ceil((moment - clock.now()).total_seconds()))


def _check_limits(phone: str, ip: str | None) -> None:
    now = clock.now()
    by_number = SmsCode.objects.filter(phone=phone, created_at__gt=now - timedelta(days=1))
    last = by_number.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and last > now - RESEND_AFTER:
        wait = _seconds_until(last + RESEND_AFTER)
        raise SmsLimited(
            _("A code was just sent to this number. Ask again in %(seconds)d seconds.") % {"seconds": wait},
            wait,
        )
    if by_number.count() >= MAX_PER_NUMBER_PER_DAY:
        oldest = by_number.order_by("created_at").values_list("created_at", flat=True).first()
        wait = _seconds_until(oldest + timedelta(days=1))
        raise SmsLimited(
            _("Too many codes for this number today (at most %(limit)d). Try again in %(hours)d hours.")
            % {"limit": MAX_PER_NUMBER_PER_DAY, "hours": math.ceil(wait / 3600)},
            wait,
        )
    if ip:
        by_ip = SmsCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1))
        if by_ip.count() >= MAX_PER_IP_PER_HOUR:
            oldest = by_ip.order_by("created_at").values_list("created_at", flat=True).first()
            wait = _seconds_until(oldest + timedelta(hours=1))
            raise SmsLimited(
                _("Too many codes requested from your network. Try again in %(minutes)d minutes.")
                % {"minutes": math.ceil(wait / 60)},
                wait,
            )


def _lock_number(phone: str) -> None:
    """One sender at a time per number, so two requests at once cannot both pass the limits.

    PostgreSQL: a transaction-scoped advisory lock on the number.  SQLite writes one at a time anyway.
    """
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"sms:{phone}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check_purpose(phone: str, purpose: str) -> None:
    exists = User.objects.filter(phone=phone).exists()
    if purpose == SmsPurpose.SIGNUP and exists:
        raise ValidationError(_("This mobile number already has an account. Sign in instead."), code="taken")
    if purpose == SmsPurpose.SIGNIN and not exists:
        raise ValidationError(_("No account has this mobile number. Sign up first."), code="unknown_number")


@transaction.atomic
def send_code(*, phone: str, purpose: str, ip: str | None) -> SmsCode:
    """Send a new code to ``phone`` for ``purpose`` (``SmsPurpose``), within the limits.

    Raises ``ValidationError`` (a bad number or purpose), :class:`SmsLimited`, or
    :class:`SmsSendError` when the provider fails; in each case nothing is written.
    """
    phone = (phone or "").strip()
    phone_validator(phone)
    if purpose not in SmsPurpose.values:
        raise ValidationError(_("Unknown purpose for a code."), code="purpose")
    _check_purpose(phone, purpose)
    _lock_number(phone)
    _check_limits(phone, ip)
    now = clock.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    SmsCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, superseded=False).update(
        superseded=True
    )
    # Rows older than the longest limit window are of no further use (and hold a number).
    SmsCode.objects.filter(created_at__lt=now - timedelta(days=2)).delete()
    row = SmsCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=code_hash(phone, purpose, code),
        ip=ip or None,
        created_at=now,
        expires_at=now + TTL,
    )
    try:
        reference = get_provider().send_code(phone=phone, code=code, minutes=int(TTL.total_seconds() // 60))
    except SmsSendError as exc:
        logger.error("SMS to %s****%s failed: %s", phone[:3], phone[-4:], exc.detail)
        raise
    logger.info("SMS code sent to %s****%s (%s)", phone[:3], phone[-4:], reference)
    return row


def verify_code(*, phone: str, purpose: str, code: str) -> None:
    """Use up the live code of ``phone`` for ``purpose`` if ``code`` is it.

    Raises :class:`SmsCodeInvalid` with a message saying why (none sent, expired, used up by wrong
    tries, wrong).  A wrong try is counted even though the caller then writes nothing else.
    Call it outside any other transaction, so that the count of wrong tries is kept.
    """
    problem: str | None = None
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True, superseded=False)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            problem = _("No code was sent to this number. Ask for a code first.")
        elif row.expires_at <= clock.now():
            problem = _("This code has expired. Ask for a new one.")
        elif row.attempts >= MAX_ATTEMPTS:
            problem = _("Too many wrong codes. Ask for a new one.")
        elif not hmac.compare_digest(row.code_hash, code_hash(phone, purpose, code or "")):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - row.attempts
            problem = (
                _("Wrong code. %(left)d tries left.") % {"left": left}
                if left
                else _("Too many wrong codes. Ask for a new one.")
            )
        else:
            row.used_at = clock.now()
            row.save(update_fields=["used_at"])
    if problem is not None:
        raise SmsCodeInvalid(problem, code="sms_code")
