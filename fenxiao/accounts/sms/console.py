"""The development provider: nothing leaves the machine.  The code is logged (logger
``fenxiao.sms``), printed on the console of ``manage.py runserver``, and kept in :data:`OUTBOX`
for tests (the last :data:`OUTBOX_SIZE` messages of this process)."""

from __future__ import annotations

import logging
import sys
from collections import deque
from dataclasses import dataclass
from itertools import count

from .base import SmsProvider

logger = logging.getLogger("fenxiao.sms")

OUTBOX_SIZE = 100


@dataclass(frozen=True)
class SentMessage:
    phone: str
    code: str
    reference: str


OUTBOX: deque[SentMessage] = deque(maxlen=OUTBOX_SIZE)
_serial = count(1)


def last_code(phone: str) -> str | None:
    """The last code sent to ``phone`` in this process (tests, demos)."""
    return next((message.code for message in reversed(OUTBOX) if message.phone == phone), None)


class ConsoleSmsProvider(SmsProvider):
    name = "console"

    def send_code(self, *, phone: str, code: str, minutes: int) -> str:
        reference = f"console-{next(_serial)}"
        OUTBOX.append(SentMessage(phone=phone, code=code, reference=reference))
        line = f"[SMS to {phone}] fenxiao verification code {code}, valid for {minutes} minutes."
        logger.warning(line)
        print(line, file=sys.stderr, flush=True)
        return reference
