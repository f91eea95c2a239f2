from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fenxiao.core.admin import ReadOnlyAdmin as ReadOnly

from .models import (
    BrandPaymentSetting,
    MerchantAccount,
    NotificationLog,
    Payment,
    Refund,
    VerificationMode,
    WechatIdentity,
)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = [
        "out_refund_no",
        "amount",
        "status",
        "reason",
        "reference",
        "created_at",
        "finished_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = [
        "out_trade_no",
        "payer",
        "amount",
        "refunded_amount",
        "status",
        "gateway",
        "reference",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["out_trade_no", "reference", "provider_transaction_id", "payer__phone"]
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ["out_refund_no", "payment", "amount", "status", "reason", "created_at"]
    list_filter = ["status"]
    search_fields = ["out_refund_no", "payment__out_trade_no", "reference"]


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnly):
    list_display = ["received_at", "gateway", "notification_id", "verified", "outcome"]
    list_filter = ["gateway", "verified"]
    search_fields = ["notification_id", "outcome"]


class SecretTextarea(forms.Textarea):
    """Never renders a value back, not even the one just submitted."""

    def format_value(self, value):
        return None


class MerchantAccountForm(forms.ModelForm):
    """Secrets are write-only: the form never shows them; leaving a field empty keeps the stored one."""

    api_base_url = forms.URLField(label=_("API base URL"), assume_scheme="https")
    notify_url = forms.URLField(
        label=_("notification URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Where WeChat Pay posts notifications, e.g. https://shop.example.com/payments/notify/wechatpay/"
        ),
    )
    new_apiv3_key = forms.CharField(
        label=_("APIv3 key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("32 characters. Leave empty to keep the stored key."),
    )
    new_private_key = forms.CharField(
        label=_("merchant API private key (PEM)"),
        required=False,
        widget=SecretTextarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=_("apiclient_key.pem. Leave empty to keep the stored key."),
    )

    class Meta:
        model = MerchantAccount
        fields = [
            "name",
            "mchid",
            "appid",
            "cert_serial_no",
            "verification_mode",
            "wechatpay_public_key_id",
            "wechatpay_public_key",
            "api_base_url",
            "notify_url",
            "transfer_scene_id",
            "active",
        ]

    def clean_new_apiv3_key(self) -> str:
        key = self.cleaned_data["new_apiv3_key"].strip()
        if key and len(key.encode()) != 32:
            raise forms.ValidationError(_("The APIv3 key is exactly 32 characters."))
        return key

    def clean_new_private_key(self) -> str:
        pem = self.cleaned_data["new_private_key"].strip()
        if pem:
            try:
                key = serialization.load_pem_private_key(pem.encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise forms.ValidationError(_("This is not an unencrypted PEM private key.")) from exc
            if not isinstance(key, rsa.RSAPrivateKey):
                raise forms.ValidationError(_("WeChat Pay merchant keys are RSA keys."))
        return pem

    def clean(self):
        data = super().clean()
        if data.get("verification_mode") == VerificationMode.PUBLIC_KEY:
            if not data.get("wechatpay_public_key_id") or not data.get("wechatpay_public_key"):
                raise forms.ValidationError(_("Public key mode needs the WeChat Pay public key and its id."))
            try:
                serialization.load_pem_public_key(data["wechatpay_public_key"].strip().encode())
            except ValueError as exc:
                raise forms.ValidationError(_("The WeChat Pay public key is not a PEM public key.")) from exc
        if not self.instance.pk and not (data.get("new_apiv3_key") and data.get("new_private_key")):
            raise forms.ValidationError(_("A new merchant account needs its APIv3 key and private key."))
        return data

    def save(self, commit: bool = True):
        account = super().save(commit=False)
        if self.cleaned_data.get("new_apiv3_key"):
            account.apiv3_key = self.cleaned_data["new_apiv3_key"]
        if self.cleaned_data.get("new_private_key"):
            account.private_key = self.cleaned_data["new_private_key"]
        if commit:
            account.save()
        return account


@admin.register(MerchantAccount)
class MerchantAccountAdmin(admin.ModelAdmin):
    form = MerchantAccountForm
    list_display = [
        "name",
        "mchid",
        "appid",
        "verification_mode",
        "active",
        "apiv3_key_state",
        "private_key_state",
    ]
    readonly_fields = ["apiv3_key_state", "private_key_state", "updated_at"]

    @admin.display(description=_("APIv3 key"))
    def apiv3_key_state(self, obj) -> str:
        return _("set") if obj.apiv3_key_encrypted else _("not set")

    @admin.display(description=_("private key"))
    def private_key_state(self, obj) -> str:
        return _("set") if obj.private_key_encrypted else _("not set")


@admin.register(BrandPaymentSetting)
class BrandPaymentSettingAdmin(admin.ModelAdmin):
    list_display = ["brand", "gateway"]
    list_filter = ["gateway"]


@admin.register(WechatIdentity)
class WechatIdentityAdmin(ReadOnly):
    list_display = ["user", "appid"]
