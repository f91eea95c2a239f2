"""Withdrawals: a distributor asks for its available commission; the brand's finance role
approves (paid out through the gateway's transfer) or rejects; a failed payout returns the
money to available.  Each step is a ledger entry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import Brand, BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock
from fenxiao.core.events import publish
from fenxiao.core.money import apply_bps, format_yuan
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger import services as ledger
from fenxiao.payments import secrets_box
from fenxiao.payments.models import REAL_NAME_FROM, Transfer
from fenxiao.payments.purposes import PaymentPurpose
from fenxiao.payments.services import create_transfer

from .models import DistributorMembership, Withdrawal, WithdrawalStatus
from .programs import program_for

PURPOSE = "withdrawal"


@transaction.atomic
def request_withdrawal(*, distributor, brand: Brand, amount: int, real_name: str = "") -> Withdrawal:
    """Ask for ``amount`` fen of the available commission (from ¥2,000 with the distributor's real
    name, which WeChat Pay requires for the transfer and checks against the account).  The distributor's membership row is
    locked first, so two requests at once are checked one after the other against the balance the
    first one left (without it both could pass the check and take the balance twice)."""
    DistributorMembership.objects.select_for_update().filter(brand=brand, distributor=distributor).first()
    program = program_for(brand)
    available = ledger_selectors.distributor_wallet(brand_id=brand.pk, user_id=distributor.pk)["available"]
    if amount < program.min_withdrawal:
        raise ValidationError(
            _("The minimum withdrawal is ¥%(min)s.") % {"min": format_yuan(program.min_withdrawal)}
        )
    if amount > available:
        raise ValidationError(
            _("You have ¥%(available)s available.") % {"available": format_yuan(max(available, 0))}
        )
    real_name = real_name.strip()
    if amount >= REAL_NAME_FROM and not real_name:
        raise ValidationError(
            _("A withdrawal of ¥2,000 or more needs your real name (as on your WeChat account).")
        )
    withdrawal = Withdrawal.objects.create(
        distributor=distributor,
        brand=brand,
        amount=amount,
        fee=apply_bps(amount, program.withdrawal_fee_bps),
        requested_at=clock.now(),
        payee_name_encrypted=secrets_box.encrypt(real_name[:60]) if real_name else "",
    )
    ledger.record_withdrawal_requested(
        brand=brand,
        user=distributor,
        amount=amount,
        reference=withdrawal.reference,
        idempotency_key=f"withdrawal:{withdrawal.pk}:requested",
    )
    return withdrawal


def _lock(actor: BrandStaff, withdrawal_id: int) -> Withdrawal:
    if not actor.can(Perm.FINANCE_WITHDRAWALS):
        raise PermissionDenied(_("Only the brand's finance staff decide withdrawals."))
    withdrawal = (
        Withdrawal.objects.select_for_update().filter(pk=withdrawal_id, brand_id=actor.brand_id).first()
    )
    if withdrawal is None:
        raise Withdrawal.DoesNotExist(_("No such withdrawal in this brand."))
    if withdrawal.status != WithdrawalStatus.REQUESTED:
        raise ValidationError(
            _("This withdrawal was already decided (%(status)s).")
            % {"status": withdrawal.get_status_display()}
        )
    return withdrawal


@transaction.atomic
def reject_withdrawal(*, actor: BrandStaff, withdrawal_id: int, reason: str) -> Withdrawal:
    if not reason.strip():
        raise ValidationError(_("Say why."))
    withdrawal = _lock(actor, withdrawal_id)
    ledger.record_withdrawal_failed(
        brand=withdrawal.brand_id,
        user=withdrawal.distributor_id,
        amount=withdrawal.amount,
        reference=withdrawal.reference,
        idempotency_key=f"withdrawal:{withdrawal.pk}:rejected",
    )
    withdrawal.status, withdrawal.reason, withdrawal.decided_at, withdrawal.decided_by = (
        WithdrawalStatus.REJECTED,
        reason.strip()[:200],
        clock.now(),
        actor.user,
    )
    withdrawal.save()
    return withdrawal


@transaction.atomic
def approve_withdrawal(*, actor: BrandStaff, withdrawal_id: int, note: str = "") -> Withdrawal:
    withdrawal = _lock(actor, withdrawal_id)
    withdrawal.status, withdrawal.decided_at, withdrawal.decided_by = (
        WithdrawalStatus.APPROVED,
        clock.now(),
        actor.user,
    )
    withdrawal.save()
    create_transfer(
        payee=withdrawal.distributor,
        amount=withdrawal.amount - withdrawal.fee,
        purpose=PURPOSE,
        reference=withdrawal.reference,
        description=f"fenxiao commission {withdrawal.pk} {note}".strip(),
        payee_name=secrets_box.decrypt(withdrawal.payee_name_encrypted),
    )
    withdrawal.refresh_from_db()
    return withdrawal


def _withdrawal_of(transfer: Transfer) -> Withdrawal:
    return Withdrawal.objects.select_for_update().get(pk=int(transfer.reference.split(":")[1]))


def on_transfer_succeeded(transfer: Transfer) -> None:
    withdrawal = _withdrawal_of(transfer)
    ledger.record_withdrawal_paid(
        brand=withdrawal.brand_id,
        user=withdrawal.distributor_id,
        amount=withdrawal.amount,
        fee=withdrawal.fee,
        reference=withdrawal.reference,
        idempotency_key=f"withdrawal:{withdrawal.pk}:paid",
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(
        status=WithdrawalStatus.PAID, transfer=transfer, paid_at=clock.now()
    )
    publish(
        "withdrawal.paid",
        {"withdrawal_id": withdrawal.pk, "brand_id": withdrawal.brand_id},
        aggregate=withdrawal.reference,
    )


def on_transfer_failed(transfer: Transfer) -> None:
    withdrawal = _withdrawal_of(transfer)
    ledger.record_withdrawal_failed(
        brand=withdrawal.brand_id,
        user=withdrawal.distributor_id,
        amount=withdrawal.amount,
        reference=withdrawal.reference,
        idempotency_key=f"withdrawal:{withdrawal.pk}:failed",
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(
        status=WithdrawalStatus.FAILED, transfer=transfer, reason=transfer.failure_reason[:200]
    )


class WithdrawalPayouts(PaymentPurpose):
    """How a withdrawal's transfer ended (registered in ``DistributionConfig.ready``)."""

    purpose = PURPOSE
    on_transfer_succeeded = staticmethod(on_transfer_succeeded)
    on_transfer_failed = staticmethod(on_transfer_failed)
