from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import couriers, divisions
from .models import OrderStatus


class DivisionSelect(forms.Select):
    """A ``<select>`` of the picker; ``static/trade/division_picker.js`` fills the next level."""

    def __init__(self, level: str) -> None:
        super().__init__(attrs={"data-division-level": level})


class AddressForm(forms.Form):
    """An address with a province/city/district picker (GB/T 2260 codes, see ``trade.divisions``).

    Works without JavaScript: the city and district lists are filled from what was posted, so a
    consumer without script picks the province, sends, and is asked for the city from its list.
    """

    name = forms.CharField(label=capfirst(_("recipient")), max_length=40)
    phone = forms.CharField(label=capfirst(_("phone")), max_length=20)
    province_code = forms.CharField(
        label=capfirst(_("province")), max_length=12, widget=DivisionSelect("province")
    )
    city_code = forms.CharField(label=capfirst(_("city")), max_length=12, widget=DivisionSelect("city"))
    district_code = forms.CharField(
        label=capfirst(_("district")), max_length=12, required=False, widget=DivisionSelect("district")
    )
    detail = forms.CharField(label=capfirst(_("street address")), max_length=200)
    is_default = forms.BooleanField(label=capfirst(_("default")), required=False)

    FIELD_OF_ERROR = {
        "unknown_province": "province_code",
        "unknown_city": "city_code",
        "city_not_in_province": "city_code",
        "unknown_district": "district_code",
        "district_not_in_city": "district_code",
        "district_required": "district_code",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        placeholder = [("", _("Choose…"))]
        self.fields["province_code"].widget.choices = placeholder + [
            (d.code, d.name) for d in divisions.provinces()
        ]
        self.fields["city_code"].widget.choices = placeholder + self._children(self._raw("province_code"))
        self.fields["district_code"].widget.choices = placeholder + self._children(self._raw("city_code"))

    def _raw(self, field: str) -> str:
        return str(self.data.get(field) or "") if self.is_bound else ""

    @staticmethod
    def _children(code: str) -> list[tuple[str, str]]:
        try:
            return [(d.code, d.name) for d in divisions.children_of(code)] if code else []
        except divisions.UnknownDivision:
            return []

    def clean(self) -> dict:
        data = super().clean()
        if self.has_error("province_code") or self.has_error("city_code") or self.has_error("district_code"):
            return data
        try:
            divisions.pick(data["province_code"], data["city_code"], data.get("district_code") or "")
        except divisions.UnknownDivision as exc:
            self.add_error(self.FIELD_OF_ERROR.get(exc.code or "", None), exc)
        return data


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Courier"), max_length=40, widget=forms.Select())
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].widget.choices = [("", _("Choose a courier")), *couriers.choices()]

    def clean_carrier(self) -> str:
        """A courier code of the list (its abbreviation or name is taken for it); else refused."""
        courier = couriers.find(self.cleaned_data["carrier"])
        if courier is None:
            raise forms.ValidationError(couriers.unknown_message(self.cleaned_data["carrier"]))
        return courier.code


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number or phone"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *OrderStatus.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ShippingRuleForm(forms.Form):
    flat_fee = forms.CharField(label=_("Flat fee (¥)"), max_length=12, initial="0")
    free_over = forms.CharField(
        label=_("Free shipping from (¥, blank = never)"), max_length=12, required=False
    )
    province_fees = forms.CharField(
        label=_("Fee by province"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: province=fee in yuan, e.g. 新疆维吾尔自治区=20"),
    )

    def clean(self):
        from fenxiao.core.money import MoneyFormatError, parse_yuan

        data = super().clean()
        try:
            data["flat_fee"] = parse_yuan(data.get("flat_fee") or "0")
            data["free_over"] = parse_yuan(data["free_over"]) if data.get("free_over") else None
            fees = {}
            for raw in (data.get("province_fees") or "").splitlines():
                if raw.strip():
                    province, sep, fee = raw.partition("=")
                    if not sep or not province.strip():
                        raise forms.ValidationError(_("Write each province as province=fee."))
                    fees[province.strip()] = parse_yuan(fee)
            data["province_fees"] = fees
        except MoneyFormatError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data
