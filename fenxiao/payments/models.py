"""Payments, refunds and the notifications that moved them.  The payments app knows nothing of
orders: a payment has a ``purpose`` (e.g. "checkout") and a ``reference`` (e.g. "checkout:12"),
and the domain that asked for it reacts through its ``PaymentPurpose`` (``fenxiao.payments.purposes``)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_trade_no(prefix: str) -> str:
    """≤ 32 characters of [0-9A-Z], as WeChat Pay's out_trade_no / out_refund_no require."""
    stamp = timezone.now().strftime("%y%m%d%H%M%S")
    return prefix + stamp + "".join(secrets.choice(ALPHABET) for _ in range(12))


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    SUCCEEDED = "succeeded", _("Paid")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    out_trade_no = models.CharField(max_length=32, unique=True, editable=False)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveIntegerField(_("amount (fen)"))
    currency = models.CharField(max_length=3, default="CNY")
    description = models.CharField(max_length=127)
    gateway = models.CharField(max_length=20)
    purpose = models.CharField(max_length=30)
    reference = models.CharField(max_length=60, db_index=True)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    provider_transaction_id = models.CharField(max_length=64, blank=True)
    merchant = models.ForeignKey(
        "payments.MerchantAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refunded_amount = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount")), name="payment_refund_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.out_trade_no

    def save(self, *args, **kwargs):
        if not self.out_trade_no:
            self.out_trade_no = new_trade_no("P")
        super().save(*args, **kwargs)

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded_amount if self.status == PaymentStatus.SUCCEEDED else 0


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refund failed")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=64, unique=True, editable=False)
    amount = models.PositiveIntegerField(_("amount (fen)"))
    reason = models.CharField(max_length=80)
    purpose = models.CharField(max_length=30)
    reference = models.CharField(max_length=80)
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    provider_refund_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    # Service-provider payments: the brand's sub-order the refund comes from.
    sub_order = models.ForeignKey(
        "payments.PaymentSubOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["payment", "reference"], name="refund_reference_unique_per_payment"
            ),
        ]

    def __str__(self) -> str:
        return self.out_refund_no

    def save(self, *args, **kwargs):
        if not self.out_refund_no:
            self.out_refund_no = new_trade_no("R")
        super().save(*args, **kwargs)


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    SUCCEEDED = "succeeded", _("Paid out")
    FAILED = "failed", _("Payout failed")


#: WeChat Pay transfers of ¥2,000 or more must carry the payee's real name (encrypted).
REAL_NAME_FROM = 200000


class Transfer(models.Model):
    """A payout to a person's wallet at the provider (e.g. a distributor's withdrawal)."""

    out_batch_no = models.CharField(max_length=32, unique=True, editable=False)
    payee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers")
    amount = models.PositiveIntegerField(_("amount (fen)"))
    description = models.CharField(max_length=60)
    gateway = models.CharField(max_length=20)
    purpose = models.CharField(max_length=30)
    reference = models.CharField(max_length=80, unique=True)
    status = models.CharField(max_length=12, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    provider_transfer_id = models.CharField(max_length=64, blank=True)
    merchant = models.ForeignKey(
        "payments.MerchantAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    failure_reason = models.CharField(max_length=200, blank=True)
    # The payee's real name, encrypted at rest (``secrets_box``); required from REAL_NAME_FROM fen.
    payee_name_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive")]

    def __str__(self) -> str:
        return self.out_batch_no

    def save(self, *args, **kwargs):
        if not self.out_batch_no:
            self.out_batch_no = new_trade_no("T")
        super().save(*args, **kwargs)


class NotificationLog(models.Model):
    """Every notification received, verified or not (the audit trail and the replay guard)."""

    gateway = models.CharField(max_length=20)
    notification_id = models.CharField(max_length=64, blank=True)
    verified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=200)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification log")
        verbose_name_plural = _("notification logs")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "notification_id"],
                condition=Q(verified=True),
                name="notification_once_per_gateway",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.notification_id} {self.outcome}"


class SandboxKeyPair(models.Model):
    """The sandbox provider's signing key (it plays the remote provider; one pair shared by every process)."""

    serial = models.CharField(max_length=40, unique=True)
    private_pem = models.TextField()
    public_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.serial


class SandboxTransaction(models.Model):
    """The sandbox provider's own record of a payment, as a real provider keeps one."""

    token = models.CharField(max_length=40, unique=True)
    out_trade_no = models.CharField(max_length=32, unique=True)
    merchant = models.CharField(max_length=80)
    description = models.CharField(max_length=127)
    amount = models.PositiveIntegerField()
    notify_url = models.URLField(max_length=500)
    return_url = models.CharField(max_length=500)
    state = models.CharField(max_length=12, default="NOTPAY")  # NOTPAY, SUCCESS, CLOSED, PAYERROR
    transaction_id = models.CharField(max_length=40, blank=True)
    refunded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    success_time = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.out_trade_no


class VerificationMode(models.TextChoices):
    CERTIFICATE = "certificate", _("Platform certificates (downloaded from /v3/certificates)")
    PUBLIC_KEY = "public_key", _("WeChat Pay public key")


def default_api_base() -> str:
    return getattr(settings, "WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com")


class MerchantAccount(models.Model):
    """The platform's WeChat Pay merchant: it collects every payment (the platform is the clearing
    account in the ledger) and pays distributors out.  One account is active at a time.

    The APIv3 key and the merchant private key are stored encrypted (``secrets_box``) and are
    write-only: pages, admin and logs only ever say whether they are set."""

    name = models.CharField(_("name"), max_length=60)
    mchid = models.CharField(_("merchant id (mchid)"), max_length=32)
    appid = models.CharField(_("app id (appid)"), max_length=32)
    cert_serial_no = models.CharField(_("merchant API certificate serial"), max_length=64)
    verification_mode = models.CharField(
        _("verification mode"),
        max_length=12,
        choices=VerificationMode.choices,
        default=VerificationMode.PUBLIC_KEY,
    )
    wechatpay_public_key_id = models.CharField(_("WeChat Pay public key id"), max_length=64, blank=True)
    wechatpay_public_key = models.TextField(_("WeChat Pay public key (PEM)"), blank=True)
    api_base_url = models.URLField(_("API base URL"), default=default_api_base)
    notify_url = models.URLField(
        _("notification URL"),
        blank=True,
        help_text=_(
            "Where WeChat Pay posts notifications, e.g. https://shop.example.com/payments/notify/wechatpay/"
        ),
    )
    transfer_scene_id = models.CharField(_("transfer scene id"), max_length=8, default="1000")
    active = models.BooleanField(_("active"), default=True)
    apiv3_key_encrypted = models.TextField(blank=True, editable=False)
    private_key_encrypted = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WeChat Pay merchant account")
        verbose_name_plural = _("WeChat Pay merchant accounts")
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="one_active_merchant"),
            models.CheckConstraint(
                condition=~Q(verification_mode="public_key") | ~Q(wechatpay_public_key_id=""),
                name="merchant_public_key_mode_has_key_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.mchid})"

    def __repr__(self) -> str:  # never the secrets
        return f"<MerchantAccount {self.pk} {self.mchid}>"

    @property
    def apiv3_key(self) -> str:
        from .secrets_box import decrypt

        return decrypt(self.apiv3_key_encrypted)

    @apiv3_key.setter
    def apiv3_key(self, value: str) -> None:
        from .secrets_box import encrypt

        self.apiv3_key_encrypted = encrypt(value)

    @property
    def private_key(self) -> str:
        from .secrets_box import decrypt

        return decrypt(self.private_key_encrypted)

    @private_key.setter
    def private_key(self, value: str) -> None:
        from .secrets_box import encrypt

        self.private_key_encrypted = encrypt(value)

    @property
    def secrets_set(self) -> bool:
        return bool(self.apiv3_key_encrypted and self.private_key_encrypted)


class GatewayChoice(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (no real money)")
    WECHATPAY = "wechatpay", _("WeChat Pay")


class BrandPaymentSetting(models.Model):
    """A brand's choice of gateway; a checkout uses it when every brand in it chose the same one,
    otherwise the platform default (``PAYMENT_GATEWAY``)."""

    brand = models.OneToOneField("accounts.Brand", on_delete=models.CASCADE, related_name="payment_setting")
    gateway = models.CharField(_("payment gateway"), max_length=20, choices=GatewayChoice.choices)

    class Meta:
        verbose_name = _("brand payment setting")
        verbose_name_plural = _("brand payment settings")

    def __str__(self) -> str:
        return f"{self.brand_id}: {self.gateway}"


class WechatIdentity(models.Model):
    """A person's openid under one WeChat appid (from WeChat sign-in); JSAPI payments and payouts need it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wechat_identities"
    )
    appid = models.CharField(max_length=32)
    openid = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("WeChat identity")
        verbose_name_plural = _("WeChat identities")
        constraints = [
            models.UniqueConstraint(fields=["user", "appid"], name="wechat_identity_once_per_app"),
            models.UniqueConstraint(fields=["appid", "openid"], name="wechat_openid_unique_per_app"),
        ]

    def __str__(self) -> str:
        return f"{self.appid}:{self.user_id}"


class SandboxMovement(models.Model):
    """The sandbox provider's own record of money it sent out (refunds and payouts): what its
    fund-flow and trade bills list beside its :class:`SandboxTransaction` s."""

    kind = models.CharField(max_length=10)  # refund, transfer
    out_no = models.CharField(max_length=64, unique=True)
    provider_no = models.CharField(max_length=40)
    out_trade_no = models.CharField(max_length=32, blank=True)
    amount = models.PositiveIntegerField()
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.out_no}"


class BreakKind(models.TextChoices):
    MISSING_OURS = "missing_ours", _("Missing on our side")
    MISSING_THEIRS = "missing_theirs", _("Missing at the provider")
    AMOUNT_DIFFERS = "amount_differs", _("Amount differs")


class BillRecord(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    TRANSFER = "transfer", _("Payout")


class ReconciliationRun(models.Model):
    """One provider's bills for one day, matched against our payments, refunds and payouts.
    Once per provider and day: a day already reconciled is refused."""

    provider = models.CharField(_("provider"), max_length=20)
    bill_date = models.DateField(_("bill date"))
    bill_lines = models.PositiveIntegerField(_("bill lines"), default=0)
    our_records = models.PositiveIntegerField(_("our records"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    break_count = models.PositiveIntegerField(_("breaks"), default=0)
    trade_bill_sha1 = models.CharField(max_length=40, blank=True)
    fundflow_bill_sha1 = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-bill_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "bill_date"], name="reconciliation_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.bill_date}"


class ReconciliationBreak(models.Model):
    """A line that did not match.  ``ours`` / ``theirs`` are the amounts (fen) each side has, None
    where that side has no record.  Resolved with a note, and a ledger adjustment where money moved."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="breaks")
    kind = models.CharField(_("kind"), max_length=16, choices=BreakKind.choices)
    record = models.CharField(_("record"), max_length=10, choices=BillRecord.choices)
    out_no = models.CharField(_("number"), max_length=64)
    provider_no = models.CharField(max_length=64, blank=True)
    ours = models.BigIntegerField(_("our amount (fen)"), null=True, blank=True)
    theirs = models.BigIntegerField(_("provider's amount (fen)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    adjustment = models.BigIntegerField(_("ledger adjustment (fen)"), default=0)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation break")
        verbose_name_plural = _("reconciliation breaks")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "record", "out_no"], name="reconciliation_break_once"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(note=""), name="reconciliation_resolved_with_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record} {self.out_no}"

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def cash_difference(self) -> int:
        """What the provider's cash differs from ours by (fen; + the provider holds more)."""
        sign = 1 if self.record == "payment" else -1
        return sign * ((self.theirs or 0) - (self.ours or 0))


from .partner_models import (  # noqa: E402, F401 - service-provider mode lives in its own module
    BrandFundsFlow,
    FundsFlow,
    PaymentSubOrder,
    ProfitSharingOrder,
    ProfitSharingReturn,
    SharingState,
)
