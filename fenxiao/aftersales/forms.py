from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fenxiao.core.money import MoneyFormatError, parse_yuan

from .models import Kind, Reason


class YuanField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return 0
        try:
            return parse_yuan(value)
        except MoneyFormatError as exc:
            raise forms.ValidationError(_("Enter an amount in yuan, such as 12.50.")) from exc


class ApplyForm(forms.Form):
    line = forms.TypedChoiceField(label=_("Item"), coerce=int, empty_value=0)
    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, required=False)
    amount = YuanField(label=_("Refund amount (yuan)"), required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(0, _("The whole order"))] + [
            (line.pk, f"{line.title} {line.spec_label} ×{line.quantity}") for line in order.lines.all()
        ]


class ReturnShipmentForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=40)


class PolicyForm(forms.Form):
    response_days = forms.IntegerField(label=_("Days to answer a request"), min_value=1)
    return_days = forms.IntegerField(label=_("Days for the consumer to ship goods back"), min_value=1)
    window_days = forms.IntegerField(label=_("After-sales window after completion (days)"), min_value=1)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("full", _("Refund in full")), ("partial", _("Refund in part")), ("deny", _("Deny"))],
        widget=forms.RadioSelect,
    )
    amount = YuanField(label=_("Partial refund (yuan)"), required=False)
    note = forms.CharField(label=_("Reason for the decision"), max_length=200)
