from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import BrandRole, role_has

phone_validator = RegexValidator(
    r"^1\d{10}$", _("Enter a mainland China mobile number: 11 digits starting with 1.")
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, *, phone: str | None, email: str | None, password: str | None, **extra) -> User:
        if not phone and not email:
            raise ValueError("A user needs a phone number or an e-mail address.")
        email = self.normalize_email(email) if email else None
        user = self.model(phone=phone or None, email=email or None, **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(
        self, phone: str | None = None, email: str | None = None, password: str | None = None, **extra
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(phone=phone, email=email, password=password, **extra)

    def create_superuser(
        self, phone: str | None = None, email: str | None = None, password: str | None = None, **extra
    ) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(phone=phone, email=email, password=password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person.  Signs in with a phone number or an e-mail address.

    Roles are not a field: platform staff is ``is_staff``; brand staff is a :class:`BrandStaff`
    row per brand; a distributor has a ``distribution.DistributorProfile``; everyone can buy.
    """

    phone = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator]
    )
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False), name="user_has_phone_or_email"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.phone or self.email or f"user {self.pk}"

    @property
    def masked_phone(self) -> str:
        if not self.phone:
            return ""
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)


class BrandStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class Brand(models.Model):
    """A brand (供货商): lists goods, owns stock, sets prices, ships and answers after-sales."""

    name = models.CharField(_("brand name"), max_length=80, unique=True)
    slug = models.SlugField(_("store address"), max_length=40, unique=True)
    description = models.TextField(_("introduction"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="brands/", blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    company_name = models.CharField(_("company name"), max_length=120, blank=True)
    business_licence_no = models.CharField(_("business licence number"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=BrandStatus.choices, default=BrandStatus.PENDING
    )
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    platform_fee_bps = models.PositiveIntegerField(_("platform fee (basis points)"), default=200)
    applied_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="brand_applications", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        constraints = [
            models.CheckConstraint(
                condition=Q(platform_fee_bps__lte=3000), name="brand_platform_fee_at_most_30pct"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == BrandStatus.APPROVED


class BrandStaff(models.Model):
    """A person's role inside one brand.  One person may be staff of several brands."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="brand_roles")
    role = models.CharField(_("role"), max_length=20, choices=BrandRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("brand staff member")
        verbose_name_plural = _("brand staff")
        constraints = [models.UniqueConstraint(fields=["brand", "user"], name="one_role_per_brand_per_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.brand} ({self.get_role_display()})"

    def can(self, permission: str) -> bool:
        return role_has(self.role, permission)


class SignInFailure(models.Model):
    """One failed sign-in, kept for the throttle (``accounts.throttling``).

    The identifier is stored as a keyed hash, never as typed, so the table holds no personal data.
    """

    identifier_hash = models.CharField(max_length=64, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [models.Index(fields=["ip", "created_at"], name="signin_failure_ip_time")]

    def __str__(self) -> str:
        return f"failed sign-in at {self.created_at:%Y-%m-%d %H:%M:%S}"


class SmsPurpose(models.TextChoices):
    SIGNUP = "signup", _("Sign up")
    SIGNIN = "signin", _("Sign in")


class SmsCode(models.Model):
    """One verification code sent by SMS (``accounts.sms``).

    The code itself is never stored: only a keyed hash of (number, purpose, code).  A code is good
    for one use, until ``expires_at``, and for at most ``sms.MAX_ATTEMPTS`` wrong tries.  A newer code
    for the same number and purpose replaces the older ones.  The rows are also the send counts that
    the per-number and per-IP limits read.
    """

    phone = models.CharField(_("mobile number"), max_length=11, validators=[phone_validator])
    purpose = models.CharField(_("purpose"), max_length=10, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [
            models.Index(fields=["phone", "created_at"], name="smscode_phone_time"),
            models.Index(fields=["ip", "created_at"], name="smscode_ip_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="smscode_expires_after_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"SMS code for {self.phone[:3]}****{self.phone[-4:]} at {self.created_at:%Y-%m-%d %H:%M:%S}"
