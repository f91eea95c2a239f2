"""Background work of the payments app."""

from __future__ import annotations

from datetime import timedelta

import requests

from fenxiao.core.jobs import job, periodic

from .gateways.sandbox import signed_notification, transaction_resource
from .models import SandboxTransaction


@job("payments.sandbox_notify", max_attempts=15, atomic=False)
def sandbox_notify(payload: dict) -> None:
    """The sandbox provider posts its signed notification over HTTP, retried until answered 2xx."""
    txn = SandboxTransaction.objects.get(pk=payload["txn"])
    headers, body = signed_notification("TRANSACTION.SUCCESS", transaction_resource(txn))
    response = requests.post(txn.notify_url, data=body, headers=headers, timeout=10)
    if response.status_code >= 300:
        raise RuntimeError(f"merchant answered {response.status_code}: {response.text[:200]}")


@job("payments.transfer_poll", max_attempts=20, atomic=False)
def transfer_poll(payload: dict) -> None:
    """A payout the provider accepted but had not finished: ask again until it has (retried)."""
    from .models import TransferStatus
    from .services import poll_transfer

    if poll_transfer(payload["transfer"]).status == TransferStatus.PENDING:
        raise RuntimeError("payout still processing at the provider")


@job("payments.refund_poll", max_attempts=20, atomic=False)
def refund_poll(payload: dict) -> None:
    """A refund whose notification has not come: ask the provider until it is final (retried)."""
    from .models import RefundStatus
    from .services import poll_refund

    if poll_refund(payload["refund"]).status == RefundStatus.PENDING:
        raise RuntimeError("refund still processing at the provider")


@periodic("payments.reconcile_bills", every=timedelta(hours=6))
def reconcile_bills() -> None:
    """Daily reconciliation: each closed day of the last few is matched once per provider
    (checked four times a day, so a bill the provider serves late is still reconciled)."""
    from .reconciliation import reconcile_due

    reconcile_due()
