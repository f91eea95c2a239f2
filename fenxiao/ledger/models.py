"""Double-entry ledger in integer fen.

Sign convention: a line's ``amount`` is positive for a debit and negative for a credit; every
entry's lines sum to zero, so the sum of all account balances is zero at every commit.

Accounts and their normal sign (``sign_rule`` is enforced by a database check constraint):

=======================  =========  ==========================================================
code                     rule       meaning
=======================  =========  ==========================================================
gateway_cash             debit      money the platform holds at the payment provider
platform_clearing        credit     consumers' money held for orders not yet settled
brand_payable            any        owed to a brand (credit); a debit balance is a claw-back
                                    the brand owes after refunds of settled orders
commission_pending       credit     a distributor's commission on paid, unsettled orders
commission_available     any        a distributor's withdrawable commission; a debit balance
                                    is a claw-back that later earnings net out
commission_withdrawing   credit     withdrawals requested and not yet paid out (what was
                                    paid out is the sum of ``withdrawal_paid`` entries)
platform_fee_revenue     credit     the platform's fee income
sub_merchant_frozen      debit      consumers' money held frozen at a brand's WeChat Pay
                                    sub-merchant (service-provider mode), not the platform's
                                    cash: it waits there for profit sharing
reconciliation_diff      any        differences with the provider's bills, written off when a
                                    reconciliation break is resolved where money moved
=======================  =========  ==========================================================
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.models import Brand


class AccountCode(models.TextChoices):
    GATEWAY_CASH = "gateway_cash", _("Cash at payment provider")
    PLATFORM_CLEARING = "platform_clearing", _("Platform clearing")
    BRAND_PAYABLE = "brand_payable", _("Brand payable")
    COMMISSION_PENDING = "commission_pending", _("Commission pending")
    COMMISSION_AVAILABLE = "commission_available", _("Commission available")
    COMMISSION_WITHDRAWING = "commission_withdrawing", _("Commission being withdrawn")
    PLATFORM_FEE_REVENUE = "platform_fee_revenue", _("Platform fee revenue")
    SUB_MERCHANT_FROZEN = "sub_merchant_frozen", _("Frozen at the brand's sub-merchant")
    RECONCILIATION_DIFF = "reconciliation_diff", _("Reconciliation differences")


class SignRule(models.TextChoices):
    ANY = "any", _("any")
    DEBIT = "debit", _("never below zero")
    CREDIT = "credit", _("never above zero")


SIGN_RULES = {
    AccountCode.GATEWAY_CASH: SignRule.DEBIT,
    AccountCode.PLATFORM_CLEARING: SignRule.CREDIT,
    AccountCode.BRAND_PAYABLE: SignRule.ANY,
    AccountCode.COMMISSION_PENDING: SignRule.CREDIT,
    AccountCode.COMMISSION_AVAILABLE: SignRule.ANY,
    AccountCode.COMMISSION_WITHDRAWING: SignRule.CREDIT,
    AccountCode.PLATFORM_FEE_REVENUE: SignRule.CREDIT,
    AccountCode.SUB_MERCHANT_FROZEN: SignRule.DEBIT,
    AccountCode.RECONCILIATION_DIFF: SignRule.ANY,
}


class LedgerAccount(models.Model):
    code = models.CharField(_("account"), max_length=32, choices=AccountCode.choices)
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    sign_rule = models.CharField(max_length=8, choices=SignRule.choices, editable=False)
    balance = models.BigIntegerField(_("balance (fen)"), default=0, editable=False)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            # One account per (code, brand, user); NULLs spelled out so SQLite enforces it too.
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(brand__isnull=True, user__isnull=True),
                name="ledger_account_unique_platform",
            ),
            models.UniqueConstraint(
                fields=["code", "brand"],
                condition=Q(brand__isnull=False, user__isnull=True),
                name="ledger_account_unique_brand",
            ),
            models.UniqueConstraint(
                fields=["code", "user"],
                condition=Q(brand__isnull=True, user__isnull=False),
                name="ledger_account_unique_user",
            ),
            models.UniqueConstraint(
                fields=["code", "brand", "user"],
                condition=Q(brand__isnull=False, user__isnull=False),
                name="ledger_account_unique_brand_user",
            ),
            models.CheckConstraint(
                condition=Q(sign_rule="any")
                | Q(sign_rule="debit", balance__gte=0)
                | Q(sign_rule="credit", balance__lte=0),
                name="ledger_account_sign_rule",
            ),
        ]

    def __str__(self) -> str:
        owner = self.brand or self.user or ""
        return f"{self.get_code_display()} {owner}".strip()


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger rows are immutable; post a correcting entry instead.")

    def delete(self):
        raise TypeError("Ledger rows are immutable; post a correcting entry instead.")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Ledger rows are immutable; post a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger rows are immutable; post a correcting entry instead.")


class JournalEntry(ImmutableModel):
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    idempotency_key = models.CharField(max_length=150, unique=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class JournalLine(ImmutableModel):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    amount = models.BigIntegerField(_("amount (fen, debit +, credit −)"))

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="journal_line_not_zero")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


class StatementCycle(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class BrandFinanceSetting(models.Model):
    """A brand's finance settings: the cycle its settlement statements are drawn up on."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="finance_setting")
    statement_cycle = models.CharField(
        _("statement cycle"), max_length=8, choices=StatementCycle.choices, default=StatementCycle.MONTHLY
    )

    class Meta:
        verbose_name = _("brand finance setting")
        verbose_name_plural = _("brand finance settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(statement_cycle__in=["daily", "weekly", "monthly"]),
                name="brand_finance_setting_cycle_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand}: {self.statement_cycle}"


class BrandStatement(ImmutableModel):
    """One brand's settlement statement for one closed period ``[period_start, period_end)``
    (local dates), computed from the journal lines of its ``brand_payable`` account.

    Amounts are owed *to* the brand as positive numbers (the ledger's credit balance negated):
    ``opening + settled − refunds_clawed_back + adjustments − payouts = closing``, enforced by a
    database check.  ``gross``, ``platform_fee`` and ``commission`` break the settled orders down
    (``settled = gross − platform_fee − commission``) from the same entries' other lines."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="statements")
    cycle = models.CharField(_("cycle"), max_length=8, choices=StatementCycle.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    opening = models.BigIntegerField(_("opening balance (fen)"))
    gross = models.BigIntegerField(_("orders settled, gross (fen)"))
    platform_fee = models.BigIntegerField(_("platform fee (fen)"))
    commission = models.BigIntegerField(_("commission (fen)"))
    settled = models.BigIntegerField(_("orders settled, brand part (fen)"))
    refunds = models.BigIntegerField(_("refunds clawed back (fen)"))
    adjustments = models.BigIntegerField(_("adjustments (fen)"))
    payouts = models.BigIntegerField(_("payouts (fen)"))
    closing = models.BigIntegerField(_("closing balance (fen)"))
    line_count = models.PositiveIntegerField(_("entries"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("brand statement")
        verbose_name_plural = _("brand statements")
        ordering = ["-period_start", "brand_id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "period_start"], name="brand_statement_unique"),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="brand_statement_period_order"
            ),
            models.CheckConstraint(
                condition=Q(
                    closing=models.F("opening")
                    + models.F("settled")
                    - models.F("refunds")
                    + models.F("adjustments")
                    - models.F("payouts")
                ),
                name="brand_statement_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(settled=models.F("gross") - models.F("platform_fee") - models.F("commission")),
                name="brand_statement_settled_breakdown",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.period_start}–{self.period_end}"


class BrandStatementLine(ImmutableModel):
    """One journal entry that moved the brand's payable in the statement's period."""

    statement = models.ForeignKey(BrandStatement, on_delete=models.PROTECT, related_name="lines")
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("reference"), max_length=100)
    posted_at = models.DateTimeField(_("posted at"))
    gross = models.BigIntegerField(_("gross (fen)"))
    platform_fee = models.BigIntegerField(_("platform fee (fen)"))
    commission = models.BigIntegerField(_("commission (fen)"))
    amount = models.BigIntegerField(_("to the brand (fen)"))

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["posted_at", "entry_id"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "entry"], name="brand_statement_line_once"),
            models.CheckConstraint(
                condition=Q(amount=models.F("gross") - models.F("platform_fee") - models.F("commission")),
                name="brand_statement_line_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}: {self.amount}"


class PayoutRunStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    EXECUTED = "executed", _("Executed")


class PayoutRun(models.Model):
    """A run of brand payouts: made by one platform staff member, approved by another
    (maker–checker), then executed (each payout once)."""

    status = models.CharField(
        _("status"), max_length=10, choices=PayoutRunStatus.choices, default=PayoutRunStatus.DRAFT
    )
    minimum = models.BigIntegerField(_("minimum payout (fen)"))
    reserve_bps = models.PositiveIntegerField(_("reserve on open after-sales (basis points)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__gt=0), name="payout_run_minimum_positive"),
            models.CheckConstraint(
                condition=Q(reserve_bps__lte=10000), name="payout_run_reserve_at_most_all"
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("created_by")), name="payout_run_maker_is_not_checker"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_by__isnull=False), name="payout_run_approved_by_set"
            ),
        ]

    def __str__(self) -> str:
        return f"payout run {self.pk}"


class PayoutStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENT = "sent", _("Sent")
    PAID = "paid", _("Paid out")
    FAILED = "failed", _("Failed (returned to the balance)")


class BrandPayout(models.Model):
    """One brand's payout in a run: ``amount`` = what the brand was owed when the run was made,
    less the reserve, if at least the run's minimum (never a negative balance)."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="payouts")
    owed = models.BigIntegerField(_("owed when planned (fen)"))
    reserve = models.BigIntegerField(_("reserve held (fen)"))
    amount = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(
        _("status"), max_length=8, choices=PayoutStatus.choices, default=PayoutStatus.PLANNED
    )
    transfer_reference = models.CharField(max_length=80, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("brand payout")
        verbose_name_plural = _("brand payouts")
        ordering = ["run_id", "brand_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "brand"], name="brand_payout_once_per_run"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="brand_payout_amount_positive"),
            models.CheckConstraint(condition=Q(reserve__gte=0), name="brand_payout_reserve_not_negative"),
            models.CheckConstraint(
                condition=Q(amount__lte=models.F("owed") - models.F("reserve")),
                name="brand_payout_within_balance",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"brand-payout:{self.pk}"
