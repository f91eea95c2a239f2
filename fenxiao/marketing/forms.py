"""Console forms.  Money is typed in yuan and kept in fen; times are the browser's local input."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fenxiao.core.money import MoneyFormatError, parse_yuan

from .models import Audience, CouponKind

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class YuanField(forms.CharField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        value = super().to_python(value)
        if value in (None, ""):
            return 0
        if len(value) > 12:
            raise ValidationError(_("Enter an amount in yuan, for example 12.50."))
        try:
            return parse_yuan(value)
        except MoneyFormatError as exc:
            raise ValidationError(str(exc)) from exc


class IdsField(forms.CharField):
    """Comma-separated ids ("12, 15")."""

    def to_python(self, value):
        value = super().to_python(value) or ""
        try:
            return [int(part) for part in value.replace("，", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise ValidationError(_("Enter ids separated by commas, for example 12, 15.")) from exc


def _when(label):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class WindowForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    starts_at = _when(_("Starts at"))
    ends_at = _when(_("Ends at"))


class CouponForm(WindowForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=CouponKind.choices)
    amount = YuanField(label=_("Amount off (yuan)"), required=False)
    percent = forms.DecimalField(
        label=_("Percent off"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    cap = YuanField(label=_("At most (yuan, empty = no cap)"), required=False)
    threshold = YuanField(label=_("Minimum spend (yuan)"), required=False)
    valid_days = forms.IntegerField(
        label=_("Valid for days after claim (empty = until the end)"),
        required=False,
        min_value=0,
        max_value=3650,
    )
    total_quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000_000)
    per_member_limit = forms.IntegerField(label=_("Per member"), min_value=1, max_value=100, initial=1)
    product_ids = IdsField(label=_("Only these product ids (empty = all)"), required=False)
    category_ids = IdsField(label=_("Only these category ids (empty = all)"), required=False)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    level_id = forms.IntegerField(label=_("Level id (audience: a level)"), required=False)
    segment_id = forms.IntegerField(label=_("Segment id (audience: a segment)"), required=False)
    claimable = forms.BooleanField(label=_("Members can claim it in the shop"), required=False, initial=True)
    stackable = forms.BooleanField(label=_("Can be combined with other stackable coupons"), required=False)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        percent = data.pop("percent") or 0
        data["percent_bps"] = int(percent * 100)
        data["valid_days"] = data.get("valid_days") or 0
        return data


class PromotionForm(WindowForm):
    tiers = forms.CharField(
        label=_("Tiers: minimum spend=amount off, one per line (yuan)"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "199=20\n399=50"}),
    )
    product_ids = IdsField(label=_("Only these product ids (empty = all)"), required=False)

    def clean_tiers(self):
        tiers = []
        for row in self.cleaned_data["tiers"].splitlines():
            if not row.strip():
                continue
            try:
                spend, off = row.replace("＝", "=").split("=")
                tiers.append([parse_yuan(spend), parse_yuan(off)])
            except (ValueError, MoneyFormatError) as exc:
                raise ValidationError(_("Write each tier as minimum spend=amount off, e.g. 199=20.")) from exc
        return tiers


class FlashSaleForm(WindowForm):
    sku_id = forms.IntegerField(label=_("SKU id"))
    price = YuanField(label=_("Flash price (yuan)"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    per_member_limit = forms.IntegerField(label=_("Per member"), min_value=1, max_value=100, initial=1)
    unpaid_minutes = forms.IntegerField(
        label=_("Unpaid orders released after (minutes)"), min_value=1, max_value=60, initial=5
    )


class GroupDealForm(WindowForm):
    sku_id = forms.IntegerField(label=_("SKU id"))
    price = YuanField(label=_("Group price (yuan)"))
    size = forms.IntegerField(label=_("Group size"), min_value=2, max_value=100, initial=2)
    hours = forms.IntegerField(label=_("Time limit (hours)"), min_value=1, max_value=720, initial=24)
