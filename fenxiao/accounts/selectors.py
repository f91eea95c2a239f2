"""Reads about people, brands and roles, and the tenancy checks every brand surface uses."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Brand, BrandStaff, BrandStatus, User


def approved_brands() -> QuerySet[Brand]:
    return Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id")


def pending_brand_count() -> int:
    """Brand applications waiting for the platform's review."""
    return Brand.objects.filter(status=BrandStatus.PENDING).count()


def approved_brand(brand_id: int) -> Brand | None:
    return approved_brands().filter(pk=brand_id).first()


def brand_roles_of(user: User) -> QuerySet[BrandStaff]:
    if not user.is_authenticated:
        return BrandStaff.objects.none()
    return BrandStaff.objects.filter(user=user).select_related("brand").order_by("brand_id")


def brand_membership(user: User, brand_id: int) -> BrandStaff | None:
    if not user.is_authenticated:
        return None
    return BrandStaff.objects.select_related("brand").filter(user=user, brand_id=brand_id).first()


def require_brand_permission(user: User, brand_id: int, permission: str) -> BrandStaff:
    """The caller's role in the brand, if it grants ``permission``.

    Someone who is not staff of the brand gets a 404 (the brand's console does not exist for
    them); staff whose role lacks the permission get a 403 that names what is missing.
    """
    membership = brand_membership(user, brand_id)
    if membership is None:
        raise Http404("No such brand console.")
    if not membership.can(permission):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) does not allow this ({permission})."
        )
    return membership
