from django import forms
from django.utils.translation import gettext_lazy as _

from . import couriers
from .models import Address, OrderStatus


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["name", "phone", "province", "city", "district", "detail", "is_default"]


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
