from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Address, OrderStatus


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["name", "phone", "province", "city", "district", "detail", "is_default"]


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=40)


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number or phone"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *OrderStatus.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
