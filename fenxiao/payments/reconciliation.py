"""Daily reconciliation with the payment provider's bills.

:func:`reconcile` downloads one provider's trade and fund-flow bills of one day (China time) through
its gateway (``bill``: WeChat Pay's ``trade_bill`` / ``fundflow_bill`` / ``download_bill``, each
file checked against the SHA1 in the signed answer; the sandbox serves the same format) and
matches every line against our succeeded payments (``paid_at``), refunds and payouts/transfers
(``finished_at``) of that day, by our number (out_trade_no / out_refund_no / out_batch_no):

- matched: both sides, same amount;
- ``missing_ours``: on the bill, not with us;
- ``missing_theirs``: with us, not on the bill;
- ``amount_differs``: both, different amounts.

It reads both sides once (a dict of the bill's lines, our records streamed), so its time grows
linearly with the lines.  A day is reconciled once per provider (``ReconciliationRun`` is unique on
provider + date): a second run, a day not over yet, or a bill that does not verify is refused with
a clear message and nothing is written.

:func:`resolve_break` closes a break with a note; where money moved it posts a balanced
``reconciliation_adjustment`` (gateway_cash against reconciliation_diff) for the cash difference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fenxiao.core import audit, clock
from fenxiao.core.models import AuditCategory

from .bills import BillError
from .gateways.base import GatewayError
from .gateways.sandbox import CHINA, day_bounds
from .models import (
    BreakKind,
    MerchantAccount,
    Payment,
    PaymentStatus,
    ReconciliationBreak,
    ReconciliationRun,
    Refund,
    RefundStatus,
    SandboxTransaction,
    Transfer,
    TransferStatus,
)
from .registry import get_gateway

log = logging.getLogger("fenxiao.payments.reconciliation")
Progress = Callable[[int, int], None]
CHUNK = 5000


class ReconciliationError(ValueError):
    """A reconciliation refused before anything was written."""


def today_in_china() -> date:
    return clock.now().astimezone(CHINA).date()


def _our_movements(provider: str, day: date) -> list[tuple[str, QuerySet, tuple[str, str, str]]]:
    """(record, succeeded rows of ``day``, (our number, amount, provider's number) fields) of each
    kind of movement the provider's bills list."""
    start, end = day_bounds(day)
    return [
        (
            "payment",
            Payment.objects.filter(
                gateway=provider, status=PaymentStatus.SUCCEEDED, paid_at__gte=start, paid_at__lt=end
            ),
            ("out_trade_no", "amount", "provider_transaction_id"),
        ),
        (
            "refund",
            Refund.objects.filter(
                payment__gateway=provider,
                status=RefundStatus.SUCCEEDED,
                finished_at__gte=start,
                finished_at__lt=end,
            ),
            ("out_refund_no", "amount", "provider_refund_id"),
        ),
        (
            "transfer",
            Transfer.objects.filter(
                gateway=provider, status=TransferStatus.SUCCEEDED, finished_at__gte=start, finished_at__lt=end
            ),
            ("out_batch_no", "amount", "provider_transfer_id"),
        ),
    ]


def our_records(provider: str, day: date) -> Iterator[tuple[str, str, int, str]]:
    """(record, our number, amount, provider's number) of every succeeded movement of ``day``."""
    for record, rows, fields in _our_movements(provider, day):
        for no, amount, provider_no in rows.values_list(*fields).iterator(chunk_size=CHUNK):
            yield record, no, amount, provider_no


def _count_ours(provider: str, day: date) -> int:
    return sum(rows.count() for _record, rows, _fields in _our_movements(provider, day))


def _refuse_if_reconciled(provider: str, day: date) -> None:
    if ReconciliationRun.objects.filter(provider=provider, bill_date=day).exists():
        raise ReconciliationError(
            _("The %(provider)s bill of %(date)s was already reconciled: refused, nothing written.")
            % {"provider": provider, "date": day.isoformat()}
        )


def reconcile(provider: str, day: date, *, user=None, progress: Progress | None = None) -> ReconciliationRun:
    """Download, verify and match one provider's bills of one day; returns the run with its breaks."""
    if day >= today_in_china():
        raise ReconciliationError(
            _("The bill of %(date)s is not final before the day is over: refused.")
            % {"date": day.isoformat()}
        )
    _refuse_if_reconciled(provider, day)
    try:
        bills = get_gateway(provider).bill(day)
    except BillError as exc:
        raise ReconciliationError(
            _("The bill was refused: %(reason)s. Nothing was written.") % {"reason": exc}
        ) from exc
    except (GatewayError, LookupError) as exc:
        raise ReconciliationError(
            _("The bill could not be downloaded: %(reason)s. Nothing was written.") % {"reason": exc}
        ) from exc

    theirs: dict[tuple[str, str], list] = {}
    for line in bills.lines:
        key = (line.record, line.out_no)
        if key in theirs:  # the same number twice on a bill: compare the total
            theirs[key][0] += line.amount
        else:
            theirs[key] = [line.amount, line.provider_no]
    breaks: list[ReconciliationBreak] = []
    total, done, matched = _count_ours(provider, day), 0, 0
    for record, no, amount, provider_no in our_records(provider, day):
        found = theirs.pop((record, no), None)
        if found is None:
            breaks.append(
                ReconciliationBreak(
                    kind=BreakKind.MISSING_THEIRS,
                    record=record,
                    out_no=no,
                    provider_no=provider_no,
                    ours=amount,
                )
            )
        elif found[0] != amount:
            breaks.append(
                ReconciliationBreak(
                    kind=BreakKind.AMOUNT_DIFFERS,
                    record=record,
                    out_no=no,
                    provider_no=found[1] or provider_no,
                    ours=amount,
                    theirs=found[0],
                )
            )
        else:
            matched += 1
        done += 1
        if progress and (done % CHUNK == 0 or done == total):
            progress(done, total)
    for (record, no), (amount, provider_no) in theirs.items():
        breaks.append(
            ReconciliationBreak(
                kind=BreakKind.MISSING_OURS, record=record, out_no=no, provider_no=provider_no, theirs=amount
            )
        )
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                provider=provider,
                bill_date=day,
                bill_lines=len(bills.lines),
                our_records=done,
                matched=matched,
                break_count=len(breaks),
                trade_bill_sha1=bills.trade_sha1,
                fundflow_bill_sha1=bills.fundflow_sha1,
                created_by=user if getattr(user, "pk", None) else None,
            )
            for brk in breaks:
                brk.run = run
            ReconciliationBreak.objects.bulk_create(breaks, batch_size=CHUNK)
            audit.record(
                AuditCategory.MONEY,
                "payments.reconciled",
                target=f"reconciliation:{run.pk}",
                detail={
                    "provider": provider,
                    "date": day.isoformat(),
                    "matched": matched,
                    "breaks": len(breaks),
                },
            )
    except IntegrityError as exc:  # another process reconciled the same day meanwhile
        raise ReconciliationError(
            _("The %(provider)s bill of %(date)s was already reconciled: refused, nothing written.")
            % {"provider": provider, "date": day.isoformat()}
        ) from exc
    return run


@transaction.atomic
def resolve_break(*, break_id: int, user, note: str, adjust: bool = False) -> ReconciliationBreak:
    """Close a break with a note; with ``adjust``, post the cash difference to the ledger."""
    from fenxiao.ledger import services as ledger
    from fenxiao.ledger.services import LedgerError

    if not getattr(user, "is_staff", False):
        raise PermissionDenied(_("Only platform staff resolve reconciliation breaks."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say how the break was resolved (a note is required)."))
    brk = ReconciliationBreak.objects.select_for_update().get(pk=break_id)
    if brk.resolved:
        raise ValidationError(_("This break was already resolved."))
    if adjust:
        difference = brk.cash_difference
        if difference == 0:
            raise ValidationError(_("No money moved on this break: resolve it without an adjustment."))
        try:
            ledger.record_reconciliation_adjustment(
                difference=difference,
                reference=f"reconciliation-break:{brk.pk}",
                idempotency_key=f"reconciliation-break:{brk.pk}:adjustment",
                memo=note,
            )
        except LedgerError as exc:
            raise ValidationError(str(exc)) from exc
        brk.adjustment = difference
    brk.note, brk.resolved_by, brk.resolved_at = note[:2000], user, clock.now()
    brk.save(update_fields=["note", "adjustment", "resolved_by", "resolved_at"])
    audit.record(
        AuditCategory.MONEY,
        "payments.reconciliation_break_resolved",
        target=f"reconciliation-break:{brk.pk}",
        detail={"kind": brk.kind, "out_no": brk.out_no, "adjustment": brk.adjustment},
        actor=audit.Actor(user_id=user.pk, label=str(user)),
    )
    return brk


# -- the daily job -------------------------------------------------------------------------------

CATCH_UP_DAYS = 3


def providers_in_use() -> dict[str, date | None]:
    """Each provider with something to reconcile, and the first day money moved through it."""
    found: dict[str, date | None] = {}
    paid = SandboxTransaction.objects.filter(success_time__isnull=False).order_by("success_time")
    first = paid.values_list("success_time", flat=True).first()
    if first:
        found["sandbox"] = first.astimezone(CHINA).date()
    if MerchantAccount.objects.filter(active=True).exists():
        paid = Payment.objects.filter(gateway="wechatpay", paid_at__isnull=False).order_by("paid_at")
        first = paid.values_list("paid_at", flat=True).first()
        found["wechatpay"] = first.astimezone(CHINA).date() if first else None
    return found


def reconcile_due(progress: Progress | None = None) -> list[ReconciliationRun]:
    """Reconcile the last few closed days not reconciled yet, for each provider in use (a day the
    provider could not serve is tried again on the next run)."""
    runs = []
    today = today_in_china()
    for provider, since in providers_in_use().items():
        if since is None:
            continue
        for back in range(CATCH_UP_DAYS, 0, -1):
            day = today - timedelta(days=back)
            if day < since or ReconciliationRun.objects.filter(provider=provider, bill_date=day).exists():
                continue
            try:
                runs.append(reconcile(provider, day, progress=progress))
            except ReconciliationError as exc:
                log.warning("reconciliation of %s %s refused: %s", provider, day, exc)
    return runs
