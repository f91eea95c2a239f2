"""Service-provider mode (服务商模式): the second funds flow a brand can be put on.

The platform decides per brand (:class:`BrandFundsFlow`).  A brand on ``service_provider`` is a
WeChat Pay sub-merchant (``sub_mchid``, stored encrypted like the merchant's other credentials):
the consumer's money lands with the brand, frozen for profit sharing; a payment for several such
brands is one combined payment (合单支付) whose sub-orders (:class:`PaymentSubOrder`) go to each
brand.  At settlement a :class:`ProfitSharingOrder` (分账) sends the platform fee to the platform's
merchant and the commissions to the distributors, then the rest is unfrozen for the brand; a refund
after that first takes back what can be taken back (:class:`ProfitSharingReturn`, 分账回退)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

PARTNER_GATEWAY = "wechatpay_partner"


class FundsFlow(models.TextChoices):
    PLATFORM_MERCHANT = "platform_merchant", _("Platform collects (the platform's merchant)")
    SERVICE_PROVIDER = "service_provider", _("Service provider (brand sub-merchant, profit sharing)")


class BrandFundsFlow(models.Model):
    """The funds flow the platform put a brand on (no row: the platform collects)."""

    brand = models.OneToOneField("accounts.Brand", on_delete=models.CASCADE, related_name="funds_flow")
    flow = models.CharField(_("funds flow"), max_length=20, choices=FundsFlow.choices)
    sub_mchid_encrypted = models.TextField(blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("brand funds flow")
        verbose_name_plural = _("brand funds flows")
        constraints = [
            models.CheckConstraint(
                condition=Q(flow__in=["platform_merchant", "service_provider"]), name="funds_flow_valid"
            ),
            models.CheckConstraint(
                condition=~Q(flow="service_provider") | ~Q(sub_mchid_encrypted=""),
                name="funds_flow_service_provider_has_sub_mchid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand_id}: {self.flow}"

    def __repr__(self) -> str:  # never the sub-merchant id
        return f"<BrandFundsFlow {self.brand_id} {self.flow}>"

    @property
    def sub_mchid(self) -> str:
        from .secrets_box import decrypt

        return decrypt(self.sub_mchid_encrypted) if self.sub_mchid_encrypted else ""

    @sub_mchid.setter
    def sub_mchid(self, value: str) -> None:
        from .secrets_box import encrypt

        self.sub_mchid_encrypted = encrypt(value) if value else ""


class PaymentSubOrder(models.Model):
    """One brand's part of a service-provider payment: a sub-order of a combined payment, or the
    whole of a single-brand one (then ``out_trade_no`` is the payment's)."""

    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="sub_orders")
    brand = models.ForeignKey("accounts.Brand", on_delete=models.PROTECT, related_name="+")
    out_trade_no = models.CharField(max_length=32, unique=True)
    amount = models.PositiveIntegerField(_("amount (fen)"))
    # A copy of the brand's encrypted sub_mchid when paid (a later change must not move old money).
    sub_mchid_encrypted = models.TextField(editable=False)
    transaction_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sub_order_amount_positive"),
            models.UniqueConstraint(fields=["payment", "brand"], name="sub_order_once_per_brand"),
        ]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def sub_mchid(self) -> str:
        from .secrets_box import decrypt

        return decrypt(self.sub_mchid_encrypted)


class SharingState(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class ProfitSharingOrder(models.Model):
    """A profit-sharing order (分账单) on one sub-order; ``receivers`` as sent:
    ``[{"type", "account", "amount", "role", "user_id"}]`` (role: fee / commission)."""

    sub_order = models.ForeignKey(PaymentSubOrder, on_delete=models.PROTECT, related_name="sharings")
    out_order_no = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=80, unique=True)
    receivers = models.JSONField(default=list)
    state = models.CharField(max_length=12, choices=SharingState.choices, default=SharingState.PROCESSING)
    provider_order_id = models.CharField(max_length=64, blank=True)
    unfrozen = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.out_order_no

    def shared_to(self, account: str) -> int:
        return sum(r["amount"] for r in self.receivers if r["account"] == account)


class ProfitSharingReturn(models.Model):
    """A profit-sharing return (分账回退) from one receiver back to the brand's sub-merchant."""

    sharing = models.ForeignKey(ProfitSharingOrder, on_delete=models.PROTECT, related_name="returns")
    out_return_no = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=80, unique=True)
    return_mchid = models.CharField(max_length=32)
    amount = models.PositiveIntegerField(_("amount (fen)"))
    state = models.CharField(max_length=12, choices=SharingState.choices, default=SharingState.PROCESSING)
    provider_return_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sharing_return_positive")]

    def __str__(self) -> str:
        return self.out_return_no
