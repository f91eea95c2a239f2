"""The one interface every SMS provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod


class SmsSendError(Exception):
    """The provider did not accept the message.  ``detail`` is for the log, never for the user."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SmsProvider(ABC):
    """Sends a verification code to a mainland China mobile number (11 digits, no ``+86``)."""

    name: str = ""

    @abstractmethod
    def send_code(self, *, phone: str, code: str, minutes: int) -> str:
        """Send ``code`` (valid for ``minutes``) and return the provider's reference for the message.

        Raises :class:`SmsSendError` when the provider refuses or cannot be reached.
        """
