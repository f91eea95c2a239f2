"""Brand settlement statements: per brand and closed period, every movement of the brand's
``brand_payable`` account, read from the journal lines (never re-derived from orders).

A period is ``[period_start, period_end)`` in local dates (``TIME_ZONE``, midnight to midnight).
Statements tile time: each one starts where the brand's previous one ended (the first where its
first ledger line falls), and ends at the end of the brand's cycle period containing that start,
so a change of cycle gives one short statement and never a gap or an overlap.

Amounts are owed *to* the brand as positive numbers (the ledger's credit balance negated).
Per entry: ``amount`` = −(its ``brand_payable`` line), ``platform_fee`` = −(its
``platform_fee_revenue`` lines), ``commission`` = −(its ``commission_available`` lines of the
brand), ``gross = amount + platform_fee + commission``.  Entries are classed by kind:
``order_settled`` → settled; ``refund`` → refunds clawed back; ``brand_payout`` and its failure
reversal → payouts; anything else (corrections, reversals) → adjustments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core import audit, clock
from fenxiao.core.models import AuditCategory

from .models import (
    AccountCode,
    BrandFinanceSetting,
    BrandStatement,
    BrandStatementLine,
    JournalLine,
    LedgerAccount,
    StatementCycle,
)

SETTLED_KINDS = frozenset({"order_settled"})
REFUND_KINDS = frozenset({"refund"})
PAYOUT_KINDS = frozenset({"brand_payout", "brand_payout_failed"})


def cycle_of(brand_id: int) -> str:
    setting = BrandFinanceSetting.objects.filter(brand_id=brand_id).first()
    return setting.statement_cycle if setting else StatementCycle.MONTHLY


def period_end(start: date, cycle: str) -> date:
    """The end (exclusive) of the ``cycle`` period that contains ``start``."""
    if cycle == StatementCycle.DAILY:
        return start + timedelta(days=1)
    if cycle == StatementCycle.WEEKLY:
        return start + timedelta(days=7 - start.weekday())
    if start.month == 12:
        return date(start.year + 1, 1, 1)
    return date(start.year, start.month + 1, 1)


def period_start(day: date, cycle: str) -> date:
    """The first day of the ``cycle`` period that contains ``day``."""
    if cycle == StatementCycle.DAILY:
        return day
    if cycle == StatementCycle.WEEKLY:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Movement:
    entry_id: int
    kind: str
    reference: str
    posted_at: datetime
    gross: int
    platform_fee: int
    commission: int
    amount: int


def payable_account(brand_id: int) -> LedgerAccount | None:
    return LedgerAccount.objects.filter(code=AccountCode.BRAND_PAYABLE, brand_id=brand_id, user=None).first()


def owed_before(account: LedgerAccount | None, moment: datetime) -> int:
    """What the ledger owed the brand just before ``moment`` (its credit balance, as positive)."""
    if account is None:
        return 0
    total = JournalLine.objects.filter(account=account, entry__created_at__lt=moment).aggregate(
        t=Sum("amount")
    )
    return -(total["t"] or 0)


def movements(account: LedgerAccount, start: datetime, end: datetime) -> list[Movement]:
    """Every entry that moved ``account`` in ``[start, end)``, with its fee and commission lines.

    One statement: the lines of the entries that touched the account in the period, summed per
    entry into the account's own total, the platform fee and this brand's commissions (conditional
    sums), so the cost grows with the period's entries and nothing else (bench/settlement.py)."""
    touched = JournalLine.objects.filter(
        account=account, entry__created_at__gte=start, entry__created_at__lt=end
    ).values("entry_id")
    own = list(
        JournalLine.objects.filter(entry_id__in=touched)
        .values("entry_id", "entry__kind", "entry__reference", "entry__created_at")
        .annotate(
            total=Sum("amount", filter=Q(account=account)),
            fee=Sum("amount", filter=Q(account__code=AccountCode.PLATFORM_FEE_REVENUE)),
            commission=Sum(
                "amount",
                filter=Q(account__code=AccountCode.COMMISSION_AVAILABLE, account__brand_id=account.brand_id),
            ),
        )
        .order_by("entry__created_at", "entry_id")
    )
    result = []
    for row in own:
        fee = -(row["fee"] or 0)
        commission = -(row["commission"] or 0)
        amount = -row["total"]
        result.append(
            Movement(
                entry_id=row["entry_id"],
                kind=row["entry__kind"],
                reference=row["entry__reference"],
                posted_at=row["entry__created_at"],
                gross=amount + fee + commission,
                platform_fee=fee,
                commission=commission,
                amount=amount,
            )
        )
    return result


def category(kind: str) -> str:
    if kind in SETTLED_KINDS:
        return "settled"
    if kind in REFUND_KINDS:
        return "refunds"
    if kind in PAYOUT_KINDS or kind == "reversal:brand_payout":
        return "payouts"
    return "adjustments"


def _next_start(brand_id: int, account: LedgerAccount, cycle: str) -> date | None:
    last = BrandStatement.objects.filter(brand_id=brand_id).aggregate(end=Max("period_end"))["end"]
    if last is not None:
        return last
    first = JournalLine.objects.filter(account=account).aggregate(first=Min("entry__created_at"))["first"]
    if first is None:
        return None
    return period_start(timezone.localtime(first).date(), cycle)


@transaction.atomic
def generate_statement(
    *, brand_id: int, start: date, end: date, cycle: str, now: datetime | None = None
) -> BrandStatement:
    """Draw up and store one statement (idempotent: an existing one for that start is returned)."""
    existing = BrandStatement.objects.filter(brand_id=brand_id, period_start=start).first()
    if existing is not None:
        return existing
    if local_midnight(end) > (now or clock.now()):
        raise ValueError(f"the period {start}–{end} is not closed yet")
    account = payable_account(brand_id)
    begin, finish = local_midnight(start), local_midnight(end)
    moved = movements(account, begin, finish) if account else []
    totals = {"settled": 0, "refunds": 0, "adjustments": 0, "payouts": 0}
    gross = fee = commission = 0
    for m in moved:
        part = category(m.kind)
        if part == "settled":
            totals["settled"] += m.amount
            gross, fee, commission = gross + m.gross, fee + m.platform_fee, commission + m.commission
        elif part in ("refunds", "payouts"):
            totals[part] -= m.amount
        else:
            totals["adjustments"] += m.amount
    opening = owed_before(account, begin)
    statement = BrandStatement.objects.create(
        brand_id=brand_id,
        cycle=cycle,
        period_start=start,
        period_end=end,
        opening=opening,
        gross=gross,
        platform_fee=fee,
        commission=commission,
        closing=opening + sum(m.amount for m in moved),
        line_count=len(moved),
        **totals,
    )
    BrandStatementLine.objects.bulk_create(
        BrandStatementLine(
            statement=statement,
            entry_id=m.entry_id,
            kind=m.kind,
            reference=m.reference,
            posted_at=m.posted_at,
            gross=m.gross,
            platform_fee=m.platform_fee,
            commission=m.commission,
            amount=m.amount,
        )
        for m in moved
    )
    return statement


def due_periods(now: datetime | None = None) -> list[tuple[int, date, date, str]]:
    """Every (brand, start, end, cycle) closed by ``now`` and not yet drawn up."""
    today = timezone.localtime(now or clock.now()).date()
    due = []
    accounts = LedgerAccount.objects.filter(code=AccountCode.BRAND_PAYABLE, user=None).order_by("brand_id")
    for account in accounts:
        cycle = cycle_of(account.brand_id)
        start = _next_start(account.brand_id, account, cycle)
        while start is not None and period_end(start, cycle) <= today:
            end = period_end(start, cycle)
            due.append((account.brand_id, start, end, cycle))
            start = end
    return due


def generate_due_statements(
    *, now: datetime | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Draw up every closed period's statement (each in its own transaction); returns how many."""
    due = due_periods(now)
    made = 0
    for done, (brand_id, start, end, cycle) in enumerate(due, 1):
        try:
            generate_statement(brand_id=brand_id, start=start, end=end, cycle=cycle, now=now)
            made += 1
        except IntegrityError:  # another worker drew it up meanwhile
            pass
        if progress:
            progress(done, len(due))
    return made


@transaction.atomic
def set_cycle(*, actor: BrandStaff, cycle: str) -> BrandFinanceSetting:
    """The brand picks its statement cycle (settings permission); it applies from the next statement."""
    if not actor.can(Perm.SETTINGS_MANAGE):
        raise PermissionDenied
    if cycle not in StatementCycle.values:
        raise ValueError(f"unknown statement cycle {cycle!r}")
    setting, _created = BrandFinanceSetting.objects.select_for_update().get_or_create(brand_id=actor.brand_id)
    before = setting.statement_cycle
    setting.statement_cycle = cycle
    setting.save(update_fields=["statement_cycle"])
    audit.record(
        AuditCategory.STAFF,
        "ledger.statement_cycle",
        target=f"brand:{actor.brand_id}",
        brand_id=actor.brand_id,
        detail={"before": before, "after": cycle},
    )
    return setting
