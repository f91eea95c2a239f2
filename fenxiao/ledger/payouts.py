"""Brand payouts in runs, with maker–checker approval.

1. ``create_run`` (platform staff, the *maker*): for every brand owed at least ``minimum`` after the
   reserve, plan a payout of ``owed − reserve``; ``owed`` is the brand's ``brand_payable`` credit
   balance, ``reserve = apply_bps(open after-sales amount on settled orders, reserve_bps)``.  A
   brand with a debit (negative) balance is never paid: the claw-back is carried over.
2. ``approve_run`` (another platform staff member, the *checker*; the maker is refused).
3. ``execute_run``: each planned payout, in its own transaction with the brand's payable account
   locked, posts ``brand_payout`` (Dr brand_payable / Cr gateway_cash) and asks ``payments`` for a
   transfer (purpose ``brand_payout``, reference ``brand-payout:<id>``: idempotent).  A payout is
   refused if the brand is owed less than its amount by then (nothing written).  The transfer's
   outcome comes back through :class:`BrandPayouts`: success marks it paid, failure posts
   ``brand_payout_failed`` (Dr gateway_cash / Cr brand_payable) so the money is owed again.
   Executing a run twice pays each payout once (only ``planned`` payouts are sent).

The payee of the transfer is the brand's owner account (``Transfer.payee`` is a person); the
sandbox gateway pays it at once (a description containing ``sandbox-fail`` fails it), WeChat Pay
has no merchant-to-merchant transfer for a direct merchant, so there a brand payout is made by bank
transfer outside the system: ``bank_transfer_file`` lists the run for the bank.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import BrandRole
from fenxiao.aftersales.selectors import open_amount_of_settled_orders
from fenxiao.core import audit, clock
from fenxiao.core.models import AuditCategory
from fenxiao.core.money import apply_bps, format_yuan
from fenxiao.payments.purposes import PaymentPurpose

from . import services as ledger
from .models import AccountCode, BrandPayout, LedgerAccount, PayoutRun, PayoutRunStatus, PayoutStatus

#: the gateway that records a brand payout (a bank transfer made from the run's file)
BRAND_PAYOUT_GATEWAY = "sandbox"
PURPOSE = "brand_payout"


def default_minimum() -> int:
    return int(getattr(settings, "BRAND_PAYOUT_MINIMUM", 10000))


def default_reserve_bps() -> int:
    return int(getattr(settings, "BRAND_PAYOUT_RESERVE_BPS", 10000))


def _staff(user) -> None:
    if not getattr(user, "is_staff", False):
        raise PermissionDenied(_("Only platform staff handle brand payouts."))


def plan(*, minimum: int, reserve_bps: int) -> list[dict]:
    """What a run made now would pay: per brand owed at least ``minimum`` after the reserve."""
    planned = []
    accounts = LedgerAccount.objects.filter(code=AccountCode.BRAND_PAYABLE, user=None, balance__lt=0)
    for acct in accounts.order_by("brand_id"):
        owed = -acct.balance
        reserve = min(owed, apply_bps(open_amount_of_settled_orders(acct.brand_id), reserve_bps))
        if owed - reserve >= minimum:
            planned.append(
                {"brand_id": acct.brand_id, "owed": owed, "reserve": reserve, "amount": owed - reserve}
            )
    return planned


@transaction.atomic
def create_run(*, maker, minimum: int | None = None, reserve_bps: int | None = None) -> PayoutRun:
    _staff(maker)
    minimum = default_minimum() if minimum is None else minimum
    reserve_bps = default_reserve_bps() if reserve_bps is None else reserve_bps
    if minimum <= 0 or not 0 <= reserve_bps <= 10000:
        raise ValidationError(_("The minimum must be positive and the reserve between 0 and 100%."))
    planned = plan(minimum=minimum, reserve_bps=reserve_bps)
    if not planned:
        raise ValidationError(_("No brand is owed the minimum after the reserve: nothing to pay."))
    run = PayoutRun.objects.create(created_by=maker, minimum=minimum, reserve_bps=reserve_bps)
    BrandPayout.objects.bulk_create(BrandPayout(run=run, **row) for row in planned)
    audit.record(
        AuditCategory.MONEY,
        "ledger.payout_run_created",
        target=f"payout-run:{run.pk}",
        detail={"payouts": len(planned), "total": sum(r["amount"] for r in planned)},
        actor=audit.Actor(user_id=maker.pk, label=str(maker)),
    )
    return run


@transaction.atomic
def approve_run(*, checker, run_id: int) -> PayoutRun:
    _staff(checker)
    run = PayoutRun.objects.select_for_update().get(pk=run_id)
    if run.status != PayoutRunStatus.DRAFT:
        raise ValidationError(_("This payout run was already approved."))
    if run.created_by_id == checker.pk:
        raise ValidationError(
            _("The person who made a payout run cannot approve it: another staff member must.")
        )
    run.status, run.approved_by, run.approved_at = PayoutRunStatus.APPROVED, checker, clock.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record(
        AuditCategory.MONEY,
        "ledger.payout_run_approved",
        target=f"payout-run:{run.pk}",
        actor=audit.Actor(user_id=checker.pk, label=str(checker)),
    )
    return run


@transaction.atomic
def send_payout(payout_id: int) -> BrandPayout:
    """Pay one planned payout (idempotent: a payout already sent is returned as it is)."""
    from fenxiao.payments.services import create_transfer

    payout = BrandPayout.objects.select_for_update().select_related("run").get(pk=payout_id)
    if payout.status != PayoutStatus.PLANNED:
        return payout
    if payout.run.status == PayoutRunStatus.DRAFT:
        raise ValidationError(_("This payout run is not approved yet."))
    acct = LedgerAccount.objects.select_for_update().get(
        code=AccountCode.BRAND_PAYABLE, brand_id=payout.brand_id, user=None
    )
    if payout.amount > -acct.balance:
        raise ValidationError(
            _("The brand is owed %(owed)s, less than the payout of %(amount)s: refused.")
            % {"owed": format_yuan(-acct.balance), "amount": format_yuan(payout.amount)}
        )
    ledger.record_brand_payout(
        brand=payout.brand_id,
        amount=payout.amount,
        reference=payout.reference,
        idempotency_key=f"{payout.reference}:paid",
    )
    payout.status, payout.transfer_reference = PayoutStatus.SENT, payout.reference
    payout.save(update_fields=["status", "transfer_reference"])
    owner = BrandStaff.objects.filter(brand_id=payout.brand_id, role=BrandRole.OWNER).order_by("id").first()
    if owner is None:
        raise ValidationError(_("The brand has no owner account to pay."))
    create_transfer(
        payee=owner.user,
        amount=payout.amount,
        purpose=PURPOSE,
        reference=payout.reference,
        description=f"fenxiao brand payout {payout.pk}",
        # Never a WeChat Pay transfer to a person's wallet, whatever the platform's default
        # gateway: a brand is paid by bank transfer from ``bank_transfer_file``; the sandbox
        # records it.  A merchant-to-merchant transfer needs the service-provider flow.
        gateway=BRAND_PAYOUT_GATEWAY,
    )
    payout.refresh_from_db()
    return payout


def execute_run(*, run_id: int, progress: Callable[[int, int], None] | None = None) -> PayoutRun:
    """Send every planned payout of an approved run, each in its own transaction (with progress).
    A payout refused on its own (the balance fell meanwhile) is logged and left planned."""
    run = PayoutRun.objects.get(pk=run_id)
    if run.status == PayoutRunStatus.DRAFT:
        raise ValidationError(_("This payout run is not approved yet."))
    ids = list(run.payouts.filter(status=PayoutStatus.PLANNED).values_list("pk", flat=True))
    for done, payout_id in enumerate(ids, 1):
        try:
            send_payout(payout_id)
        except ValidationError as exc:
            BrandPayout.objects.filter(pk=payout_id).update(failure_reason=str(exc.messages[0])[:200])
        if progress:
            progress(done, len(ids))
    if not run.payouts.filter(status=PayoutStatus.PLANNED).exists():
        PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRunStatus.EXECUTED, executed_at=clock.now())
    run.refresh_from_db()
    return run


def _payout_of(transfer) -> BrandPayout:
    return BrandPayout.objects.select_for_update().get(pk=int(transfer.reference.split(":")[1]))


def on_transfer_succeeded(transfer) -> None:
    BrandPayout.objects.filter(pk=_payout_of(transfer).pk).update(status=PayoutStatus.PAID)


def on_transfer_failed(transfer) -> None:
    payout = _payout_of(transfer)
    ledger.record_brand_payout_failed(
        brand=payout.brand_id,
        amount=payout.amount,
        reference=payout.reference,
        idempotency_key=f"{payout.reference}:failed",
    )
    BrandPayout.objects.filter(pk=payout.pk).update(
        status=PayoutStatus.FAILED, failure_reason=transfer.failure_reason[:200]
    )


class BrandPayouts(PaymentPurpose):
    """How a brand payout's transfer ended (registered in ``LedgerConfig.ready``)."""

    purpose = PURPOSE
    on_transfer_succeeded = staticmethod(on_transfer_succeeded)
    on_transfer_failed = staticmethod(on_transfer_failed)


def bank_transfer_file(run: PayoutRun) -> str:
    """The run as a CSV for the bank (brand, company, amount in yuan, reference)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "brand", "company", "amount_yuan", "status"])
    for p in run.payouts.select_related("brand"):
        writer.writerow([p.reference, p.brand.name, p.brand.company_name, format_yuan(p.amount), p.status])
    return out.getvalue()
