from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .periods import GRAINS, MAX_DAYS, DateRange, last_days


class RangeForm(forms.Form):
    start = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    grain = forms.ChoiceField(
        label=_("Group by"),
        choices=[("day", _("day")), ("week", _("week")), ("month", _("month"))],
        initial="day",
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date must not be before the start date."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        if data.get("grain") not in GRAINS:
            data["grain"] = "day"
        return data


def range_from(query) -> tuple[RangeForm, DateRange, str, bool]:
    """(form, period, grain, valid): the last 30 days unless the query names a valid range."""
    default = last_days(30)
    if "start" not in query and "end" not in query:
        form = RangeForm(
            initial={"start": default.start, "end": default.end, "grain": query.get("grain", "day")}
        )
        grain = query.get("grain") if query.get("grain") in GRAINS else "day"
        return form, default, grain, True
    form = RangeForm(query)
    if form.is_valid():
        return (
            form,
            DateRange(form.cleaned_data["start"], form.cleaned_data["end"]),
            form.cleaned_data["grain"],
            True,
        )
    return form, default, "day", False
