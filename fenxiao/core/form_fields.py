"""Console form fields a person can fill in: money in yuan, rates in percent.  They clean to what
is stored (integer fen, basis points) and explain bad input in words."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .money import MoneyFormatError, format_yuan, parse_yuan


def format_percent(bps: int | None) -> str:
    """1250 -> '12.5'; 1000 -> '10' (no trailing zeros)."""
    if bps is None:
        return ""
    value = Decimal(int(bps)) / 100
    return f"{value.normalize():f}"


class YuanField(forms.Field):
    """A money amount typed in yuan ("12.50"); cleans to integer fen."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "maxlength": "14", "size": "8"})

    def prepare_value(self, value):
        return format_yuan(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        try:
            return parse_yuan(value)
        except MoneyFormatError as exc:
            raise ValidationError(
                _("Enter an amount in yuan, for example 12.50 (at most two decimal places).")
            ) from exc


class PercentField(forms.Field):
    """A rate typed in percent ("10", "2.5", "12.5%"), at most ``max_percent``; cleans to basis
    points (1% = 100)."""

    widget = forms.TextInput

    def __init__(self, *args, max_percent: int = 100, **kwargs) -> None:
        self.max_percent = max_percent
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "maxlength": "8", "size": "6"})

    def prepare_value(self, value):
        return format_percent(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = value.strip().rstrip("%").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a percentage, for example 10 or 2.5.")) from exc
        if not number.is_finite() or number < 0 or number > self.max_percent:
            raise ValidationError(_("Enter a percentage between 0 and %(max)s.") % {"max": self.max_percent})
        bps = number * 100
        if bps != bps.to_integral_value():
            raise ValidationError(_("Use at most two decimal places, for example 12.25."))
        return int(bps)
