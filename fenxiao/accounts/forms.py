from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import throttling
from .models import Brand, SmsPurpose, User, phone_validator
from .sms.codes import SmsCodeInvalid, verify_code

SMS_CODE_HELP = _("Tap “Send code” and type the 6 digits you receive by SMS.")


def _sms_code_field(required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=required,
        help_text=SMS_CODE_HELP,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SignInForm(forms.Form):
    identifier = forms.CharField(label=_("Mobile number or e-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    def __init__(self, request=None, *args, **kwargs) -> None:
        self.request = request
        self.user: User | None = None
        self.locked_out = False
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        identifier = data["identifier"].strip()
        ip = throttling.client_ip(self.request) if self.request is not None else None
        lockout = throttling.lockout_for(identifier, ip)
        if lockout is not None:
            self.locked_out = True
            message = (
                _("Too many failed sign-ins for this account. Try again in %(minutes)d minutes.")
                if lockout.per_account
                else _("Too many failed sign-ins from your network. Try again in %(minutes)d minutes.")
            )
            raise forms.ValidationError(message % {"minutes": lockout.minutes_left}, code="locked_out")
        user = authenticate(self.request, username=identifier, password=data["password"])
        if user is None:
            throttling.record_failure(identifier, ip)
            raise forms.ValidationError(_("Wrong mobile number, e-mail or password."), code="invalid_login")
        throttling.record_success(identifier)
        self.user = user
        return data


class SignUpForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"), max_length=11, required=False, validators=[phone_validator]
    )
    sms_code = _sms_code_field(required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60, required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean_phone(self) -> str | None:
        phone = self.cleaned_data.get("phone") or None
        if phone and User.objects.filter(phone=phone).exists():
            raise forms.ValidationError(_("This mobile number already has an account. Sign in instead."))
        return phone

    def clean_email(self) -> str | None:
        email = (self.cleaned_data.get("email") or "").strip().lower() or None
        if email and User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("This e-mail already has an account. Sign in instead."))
        return email

    def clean(self) -> dict:
        data = super().clean()
        if (
            not data.get("phone")
            and not data.get("email")
            and not self.has_error("phone")
            and not self.has_error("email")
        ):
            raise forms.ValidationError(_("Give a mobile number or an e-mail address."))
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(
                phone=data.get("phone"), email=data.get("email"), display_name=data.get("display_name") or ""
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        # A mobile number is proven with an SMS code, checked last so that a code is used up only
        # by a sign-up that is otherwise good.
        if data.get("phone") and not self.errors:
            if not data.get("sms_code"):
                self.add_error("sms_code", _("Type the code sent to your mobile number."))
            else:
                try:
                    verify_code(phone=data["phone"], purpose=SmsPurpose.SIGNUP, code=data["sms_code"])
                except SmsCodeInvalid as exc:
                    self.add_error("sms_code", exc)
        return data


class SmsSignInForm(forms.Form):
    """Sign in with a mobile number and a code sent to it by SMS."""

    phone = forms.CharField(label=_("Mobile number"), max_length=11, validators=[phone_validator])
    sms_code = _sms_code_field(required=True)

    def __init__(self, *args, **kwargs) -> None:
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        user = User.objects.filter(phone=data["phone"], is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No account has this mobile number. Sign up first."), code="unknown"
            )
        try:
            verify_code(phone=data["phone"], purpose=SmsPurpose.SIGNIN, code=data["sms_code"])
        except SmsCodeInvalid as exc:
            self.add_error("sms_code", exc)
            return data
        self.user = user
        return data


class BrandApplicationForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["name", "slug", "company_name", "business_licence_no", "contact_phone", "description"]
        help_texts = {"slug": _("Letters, digits and hyphens; your store will be at /shop/b/<address>/.")}


class AddStaffForm(forms.Form):
    identifier = forms.CharField(label=_("Mobile number or e-mail of an existing account"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs) -> None:
        from .roles import BrandRole

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = BrandRole.choices
