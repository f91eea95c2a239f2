"""Distribution programs and memberships: a brand's program settings, distributors opening a
micro-store, applying to a brand's program, the brand deciding, and distributor levels.  Every
write is one transaction; times come from ``fenxiao.core.clock``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock

from .models import (
    DistributionProgram,
    DistributorLevel,
    DistributorMembership,
    DistributorProfile,
    JoinMode,
    LinkKind,
    MembershipStatus,
    ProductCommissionRate,
    ShareLink,
)

PROGRAM_FIELDS = {
    "enabled",
    "join_mode",
    "application_fields",
    "binding_mode",
    "binding_days",
    "level1_bps",
    "level2_enabled",
    "level2_bps",
    "freeze_days",
    "self_purchase_commission",
    "min_withdrawal",
    "withdrawal_fee_bps",
}
# The answer types of an application question (``application_form.ANSWER_TYPES`` names them).
APPLICATION_ANSWER_TYPES = frozenset({"text", "long", "phone", "number"})


def program_for(brand: Brand | int) -> DistributionProgram:
    brand_id = getattr(brand, "pk", brand)
    program = DistributionProgram.objects.filter(brand_id=brand_id).first()
    if program:
        return program
    try:
        with transaction.atomic():
            return DistributionProgram.objects.create(brand_id=brand_id)
    except IntegrityError:
        return DistributionProgram.objects.get(brand_id=brand_id)


def _require(actor: BrandStaff, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(
            _("Your role (%(role)s) may not do this.") % {"role": actor.get_role_display()}
        )


@transaction.atomic
def update_program(*, actor: BrandStaff, **fields) -> DistributionProgram:
    _require(actor, Perm.DISTRIBUTION_MANAGE)
    unknown = set(fields) - PROGRAM_FIELDS
    if unknown:
        raise ValueError(f"unknown program settings {sorted(unknown)}")
    program = DistributionProgram.objects.select_for_update().get(pk=program_for(actor.brand_id).pk)
    for name, value in fields.items():
        setattr(program, name, value)
    fields_ok = isinstance(program.application_fields, list) and all(
        isinstance(f, dict)
        and str(f.get("label", "")).strip()
        and f.get("type", "text") in APPLICATION_ANSWER_TYPES
        for f in program.application_fields
    )
    if not fields_ok:
        raise ValidationError(_('Application fields are a list of {"label": …, "required": true/false}.'))
    for name in ("level1_bps", "level2_bps", "withdrawal_fee_bps"):
        if not 0 <= getattr(program, name) <= 10000:
            raise ValidationError(_("Rates are between 0% and 100%."))
    level2 = program.level2_bps if program.level2_enabled else 0
    if highest_level1_bps(program) + level2 > 10000:
        raise ValidationError(_("Level-1 and level-2 rates together may not exceed the price paid."))
    program.save()
    return program


def highest_level1_bps(program: DistributionProgram) -> int:
    """The highest level-1 rate any order of the brand can earn: the program's, a distributor
    level's or a product's override."""
    rates = [
        program.level1_bps,
        DistributorLevel.objects.filter(brand_id=program.brand_id).aggregate(m=Max("rate_bps"))["m"] or 0,
        ProductCommissionRate.objects.filter(product__brand_id=program.brand_id).aggregate(
            m=Max("level1_bps")
        )["m"]
        or 0,
    ]
    return max(rates)


@transaction.atomic
def become_distributor(*, user, store_name: str, intro: str = "") -> DistributorProfile:
    if not store_name.strip():
        raise ValidationError(_("Give your store a name."))
    profile, _created = DistributorProfile.objects.update_or_create(
        user=user, defaults={"store_name": store_name.strip()[:60], "intro": intro[:200]}
    )
    return profile


@transaction.atomic
def apply_to_brand(
    *, user, brand: Brand, answers: dict | None = None, invite_code: str = ""
) -> DistributorMembership:
    """Join a brand's program: approved at once when the program is open, otherwise applied."""
    if not hasattr(user, "distributor"):
        raise ValidationError(_("Open your micro-store first."))
    program = program_for(brand)
    if brand.status != BrandStatus.APPROVED or not program.enabled:
        raise ValidationError(_("This brand is not recruiting distributors."))
    answers = answers or {}
    missing = [
        f["label"]
        for f in program.application_fields
        if f.get("required") and not str(answers.get(f["label"], "")).strip()
    ]
    if missing:
        raise ValidationError(_("Please answer: %(fields)s.") % {"fields": "、".join(missing)})
    inviter = None
    if invite_code and program.level2_enabled:
        link = ShareLink.objects.filter(code=invite_code, brand=brand, kind=LinkKind.INVITE).first()
        if link and link.distributor_id != user.pk and is_active_distributor(link.distributor_id, brand.pk):
            inviter = link.distributor
    existing = DistributorMembership.objects.select_for_update().filter(brand=brand, distributor=user).first()
    if existing and existing.status in (
        MembershipStatus.APPROVED,
        MembershipStatus.APPLIED,
        MembershipStatus.SUSPENDED,
    ):
        return existing
    status = MembershipStatus.APPROVED if program.join_mode == JoinMode.OPEN else MembershipStatus.APPLIED
    membership = existing or DistributorMembership(brand=brand, distributor=user)
    membership.status, membership.answers, membership.inviter, membership.reason = (
        status,
        answers,
        inviter,
        "",
    )
    membership.decided_at = clock.now() if status == MembershipStatus.APPROVED else None
    membership.save()
    return membership


TRANSITIONS = {
    "approve": ({MembershipStatus.APPLIED}, MembershipStatus.APPROVED),
    "reject": ({MembershipStatus.APPLIED}, MembershipStatus.REJECTED),
    "suspend": ({MembershipStatus.APPROVED}, MembershipStatus.SUSPENDED),
    "reinstate": ({MembershipStatus.SUSPENDED}, MembershipStatus.APPROVED),
}


@transaction.atomic
def decide_membership(
    *, actor: BrandStaff, membership_id: int, action: str, reason: str = ""
) -> DistributorMembership:
    _require(actor, Perm.DISTRIBUTION_MANAGE)
    membership = (
        DistributorMembership.objects.select_for_update()
        .filter(pk=membership_id, brand_id=actor.brand_id)
        .first()
    )
    if membership is None:
        raise DistributorMembership.DoesNotExist(_("No such distributor in this brand."))
    if action not in TRANSITIONS:
        raise ValidationError(_("Unknown action."))
    allowed, target = TRANSITIONS[action]
    if membership.status not in allowed:
        raise ValidationError(
            _("This distributor is %(status)s; you cannot %(action)s.")
            % {"status": membership.get_status_display(), "action": action}
        )
    if action in ("reject", "suspend") and not reason.strip():
        raise ValidationError(_("Say why."))
    membership.status, membership.reason, membership.decided_at = target, reason.strip()[:200], clock.now()
    membership.save(update_fields=["status", "reason", "decided_at"])
    return membership


def is_active_distributor(user_id: int, brand_id: int) -> bool:
    return DistributorMembership.objects.filter(
        distributor_id=user_id, brand_id=brand_id, status=MembershipStatus.APPROVED
    ).exists()


@transaction.atomic
def add_level(
    *, actor: BrandStaff, name: str, rate_bps: int, min_sales: int = 0, min_customers: int = 0
) -> DistributorLevel:
    _require(actor, Perm.DISTRIBUTION_MANAGE)
    program = program_for(actor.brand_id)
    level2 = program.level2_bps if program.level2_enabled else 0
    if not 0 <= rate_bps <= 10000 or rate_bps + level2 > 10000:
        raise ValidationError(_("Level-1 and level-2 rates together may not exceed the price paid."))
    if not name.strip():
        raise ValidationError(_("Give the level a name."))
    return DistributorLevel.objects.create(
        brand_id=actor.brand_id,
        name=name.strip()[:30],
        rate_bps=rate_bps,
        min_sales=min_sales,
        min_customers=min_customers,
    )
