"""Writes about people, brands and staff.  Each function is one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Brand, BrandStaff, BrandStatus, User
from .roles import BrandRole


@transaction.atomic
def register_user(*, phone: str | None, email: str | None, password: str, display_name: str = "") -> User:
    return User.objects.create_user(phone=phone, email=email, password=password, display_name=display_name)


@transaction.atomic
def apply_for_brand(*, applicant: User, **fields) -> Brand:
    brand = Brand(status=BrandStatus.PENDING, applied_by=applicant, **fields)
    brand.full_clean()
    brand.save()
    return brand


def _lock_pending(brand_id: int) -> Brand:
    brand = Brand.objects.select_for_update().get(pk=brand_id)
    if brand.status != BrandStatus.PENDING:
        raise ValidationError(
            _("Only a pending application can be reviewed; this brand is %(status)s.")
            % {"status": brand.get_status_display()}
        )
    return brand


@transaction.atomic
def approve_brand(brand: Brand, reviewer: User) -> Brand:
    """Approve a pending brand; its applicant becomes the owner."""
    brand = _lock_pending(brand.pk)
    brand.status = BrandStatus.APPROVED
    brand.reviewed_at = timezone.now()
    brand.review_note = ""
    brand.save(update_fields=["status", "reviewed_at", "review_note"])
    if brand.applied_by_id:
        BrandStaff.objects.update_or_create(
            brand=brand, user_id=brand.applied_by_id, defaults={"role": BrandRole.OWNER}
        )
    return brand


@transaction.atomic
def reject_brand(brand: Brand, reviewer: User, note: str) -> Brand:
    if not note.strip():
        raise ValidationError(_("Say why the application is rejected."))
    brand = _lock_pending(brand.pk)
    brand.status = BrandStatus.REJECTED
    brand.reviewed_at = timezone.now()
    brand.review_note = note.strip()[:200]
    brand.save(update_fields=["status", "reviewed_at", "review_note"])
    return brand


def find_user(identifier: str) -> User | None:
    identifier = identifier.strip()
    return User.objects.filter(Q(phone=identifier) | Q(email__iexact=identifier)).first()


@transaction.atomic
def add_staff(*, brand: Brand, identifier: str, role: str) -> BrandStaff:
    user = find_user(identifier)
    if user is None:
        raise ValidationError(
            _("No account has this mobile number or e-mail. Ask the person to sign up first.")
        )
    if BrandStaff.objects.filter(brand=brand, user=user).exists():
        raise ValidationError(_("%(user)s is already staff of this brand.") % {"user": user})
    return BrandStaff.objects.create(brand=brand, user=user, role=role)


def _other_owners(staff: BrandStaff) -> int:
    return (
        BrandStaff.objects.filter(brand_id=staff.brand_id, role=BrandRole.OWNER).exclude(pk=staff.pk).count()
    )


@transaction.atomic
def change_staff_role(*, brand: Brand, staff_id: int, role: str) -> BrandStaff:
    staff = BrandStaff.objects.select_for_update().get(pk=staff_id, brand=brand)
    if staff.role == BrandRole.OWNER and role != BrandRole.OWNER and _other_owners(staff) == 0:
        raise ValidationError(_("A brand needs at least one owner; make someone else owner first."))
    staff.role = role
    staff.save(update_fields=["role"])
    return staff


@transaction.atomic
def remove_staff(*, brand: Brand, staff_id: int) -> None:
    staff = BrandStaff.objects.select_for_update().get(pk=staff_id, brand=brand)
    if staff.role == BrandRole.OWNER and _other_owners(staff) == 0:
        raise ValidationError(_("A brand needs at least one owner; make someone else owner first."))
    staff.delete()
