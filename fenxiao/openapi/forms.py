from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import scopes
from .topics import TOPICS


class AppForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=scopes.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute"), min_value=1, max_value=6000, initial=120
    )


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("Receiver URL"), max_length=500, assume_scheme="https")
    topics = forms.MultipleChoiceField(
        label=_("Events"), choices=[(t, t) for t in TOPICS], widget=forms.CheckboxSelectMultiple
    )
