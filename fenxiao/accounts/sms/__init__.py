"""SMS verification codes: one provider interface (:mod:`.base`), a console provider for
development (:mod:`.console`), Tencent Cloud SMS (:mod:`.tencent`), and the codes themselves
(:mod:`.codes`: hashed, expiring, rate-limited)."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import SmsProvider, SmsSendError

PROVIDERS = {
    "console": "fenxiao.accounts.sms.console.ConsoleSmsProvider",
    "tencent": "fenxiao.accounts.sms.tencent.TencentSmsProvider",
}


def get_provider() -> SmsProvider:
    """The provider named by ``settings.SMS_PROVIDER`` (``console``, ``tencent`` or a dotted path)."""
    name = getattr(settings, "SMS_PROVIDER", "console") or "console"
    return import_string(PROVIDERS.get(name, name))()


__all__ = ["SmsProvider", "SmsSendError", "get_provider"]
