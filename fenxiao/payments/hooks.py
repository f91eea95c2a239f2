"""Domain reactions to payment events, called inside the payment's transaction.

register_payment_handler("checkout", on_succeeded=..., on_refund_succeeded=..., on_refund_failed=...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentHandler:
    on_succeeded: Callable | None = None
    on_refund_succeeded: Callable | None = None
    on_refund_failed: Callable | None = None
    on_transfer_succeeded: Callable | None = None
    on_transfer_failed: Callable | None = None


HANDLERS: dict[str, PaymentHandler] = {}


def register_payment_handler(
    purpose: str,
    *,
    on_succeeded: Callable | None = None,
    on_refund_succeeded: Callable | None = None,
    on_refund_failed: Callable | None = None,
    on_transfer_succeeded: Callable | None = None,
    on_transfer_failed: Callable | None = None,
) -> None:
    HANDLERS[purpose] = PaymentHandler(
        on_succeeded, on_refund_succeeded, on_refund_failed, on_transfer_succeeded, on_transfer_failed
    )


def handler_for(purpose: str) -> PaymentHandler | None:
    return HANDLERS.get(purpose)
