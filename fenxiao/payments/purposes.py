"""How the app that asked for a payment, refund or transfer hears how it ended: one
:class:`PaymentPurpose` per purpose, registered once from the app's ``AppConfig.ready()`` — the
same shape as the order contract (``trade.extensions``)::

    class CheckoutPayments(PaymentPurpose):
        purpose = "checkout"

        def on_succeeded(self, payment): ...

    # trade/apps.py
    purposes.register(CheckoutPayments())

Each method runs inside the transaction that records the outcome; every one does nothing by
default.  Who reacts to payments?  ``grep -rn "(PaymentPurpose)" fenxiao``.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class PaymentPurpose:
    #: the ``purpose`` of the payments, refunds and transfers this handles
    purpose: str = ""

    def on_succeeded(self, payment) -> None:
        """The payment succeeded (called once)."""

    def on_refund_succeeded(self, refund) -> None:
        """A refund of one of its payments succeeded."""

    def on_refund_failed(self, refund) -> None:
        """A refund of one of its payments failed."""

    def on_transfer_succeeded(self, transfer) -> None:
        """A transfer (payout) succeeded."""

    def on_transfer_failed(self, transfer) -> None:
        """A transfer (payout) failed."""


HANDLERS: dict[str, PaymentPurpose] = {}


def register(handler: PaymentPurpose) -> None:
    """Register the handler of a purpose (once; a second one for the same purpose is refused)."""
    if not handler.purpose:
        raise ImproperlyConfigured(f"{type(handler).__qualname__} names no purpose")
    existing = HANDLERS.get(handler.purpose)
    if existing is not None and type(existing) is not type(handler):
        raise ImproperlyConfigured(f"payments of purpose {handler.purpose!r} are handled already")
    HANDLERS[handler.purpose] = handler


def unregister(purpose: str) -> None:
    HANDLERS.pop(purpose, None)


def handler_for(purpose: str) -> PaymentPurpose:
    """The purpose's handler; one that does nothing for a purpose no app registered."""
    return HANDLERS.get(purpose) or PaymentPurpose()
