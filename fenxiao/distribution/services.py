"""Distribution writes: programs, memberships, store prices, share links, visits and bindings.
Every function is one transaction; times come from ``fenxiao.core.clock``."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.accounts.models import Brand, BrandStaff, BrandStatus
from fenxiao.accounts.roles import Perm
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.core import clock
from fenxiao.core.events import publish
from fenxiao.core.money import format_yuan

from .models import (
    BindingMode,
    CustomerBinding,
    DistributionProgram,
    DistributorLevel,
    DistributorMembership,
    DistributorNotice,
    DistributorProfile,
    JoinMode,
    LinkKind,
    MembershipStatus,
    ShareLink,
    StoreSkuPrice,
    Visit,
)

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
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
        isinstance(f, dict) and str(f.get("label", "")).strip() for f in program.application_fields
    )
    if not fields_ok:
        raise ValidationError(_('Application fields are a list of {"label": …, "required": true/false}.'))
    for name in ("level1_bps", "level2_bps", "withdrawal_fee_bps"):
        if not 0 <= getattr(program, name) <= 10000:
            raise ValidationError(_("Rates are between 0% and 100%."))
    level2 = program.level2_bps if program.level2_enabled else 0
    if program.level1_bps + level2 > 10000:
        raise ValidationError(_("Level-1 and level-2 rates together may not exceed the price paid."))
    program.save()
    return program


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
def set_store_price(*, distributor, sku_id: int, price: int | None) -> StoreSkuPrice:
    """Pick a SKU into the micro-store at a price inside the brand's band (retail when omitted)."""
    sku = Sku.objects.select_related("product").filter(pk=sku_id, is_active=True).first()
    if sku is None or sku.product.status != ProductStatus.ON_SALE or not sku.product.distribution_enabled:
        raise ValidationError(_("This product is not open to distributors."))
    if not is_active_distributor(distributor.pk, sku.brand_id):
        raise PermissionDenied(_("Join the brand's program first."))
    price = sku.retail_price if price is None else price
    if not sku.price_min <= price <= sku.price_max:
        raise ValidationError(
            _("%(sku)s: choose a price between ¥%(min)s and ¥%(max)s.")
            % {
                "sku": f"{sku.product.title} {sku.spec_label}".strip(),
                "min": format_yuan(sku.price_min),
                "max": format_yuan(sku.price_max),
            }
        )
    store_price, _created = StoreSkuPrice.objects.update_or_create(
        distributor=distributor, sku=sku, defaults={"price": price}
    )
    return store_price


@transaction.atomic
def pick_product(*, distributor, product_id: int) -> list[StoreSkuPrice]:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError(_("This product is not open to distributors."))
    return [
        set_store_price(distributor=distributor, sku_id=sku.pk, price=None)
        for sku in product.skus.filter(is_active=True)
    ]


def clamp_store_prices_for_sku(sku: Sku) -> int:
    """A brand narrowed a band: store prices outside it move inside, and their distributors are told."""
    changed = 0
    for store_price in StoreSkuPrice.objects.filter(sku=sku).exclude(
        price__gte=sku.price_min, price__lte=sku.price_max
    ):
        old = store_price.price
        store_price.price = min(max(old, sku.price_min), sku.price_max)
        store_price.save(update_fields=["price"])
        DistributorNotice.objects.create(
            distributor_id=store_price.distributor_id,
            message=_(
                "%(sku)s: the brand changed its price range, so your price moved from ¥%(old)s to ¥%(new)s."
            )
            % {
                "sku": f"{sku.product.title} {sku.spec_label}".strip(),
                "old": format_yuan(old),
                "new": format_yuan(store_price.price),
            },
        )
        changed += 1
    return changed


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


@transaction.atomic
def share_link(
    *, distributor, brand: Brand, kind: str = LinkKind.STORE, product: Product | None = None
) -> ShareLink:
    if not is_active_distributor(distributor.pk, brand.pk):
        raise PermissionDenied(_("Join the brand's program first."))
    if kind == LinkKind.INVITE and not program_for(brand).level2_enabled:
        raise ValidationError(_("This brand does not use invitations."))
    lookup = {
        "distributor": distributor,
        "brand": brand,
        "kind": kind,
        "product": product if kind == LinkKind.PRODUCT else None,
    }
    existing = ShareLink.objects.filter(**lookup).first()
    if existing:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                link = ShareLink.objects.create(code=_new_code(), **lookup)
                publish(
                    "share.created", {"link_id": link.pk, "brand_id": brand.pk}, aggregate=f"link:{link.pk}"
                )
                return link
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a short code")


@transaction.atomic
def record_visit(*, link: ShareLink, visitor=None, session_key: str = "") -> Visit:
    visit = Visit.objects.create(
        link=link,
        visitor=visitor if getattr(visitor, "is_authenticated", False) else None,
        session_key=session_key[:40],
        at=clock.now(),
    )
    publish("share.visited", {"visit_id": visit.pk, "brand_id": link.brand_id}, aggregate=f"link:{link.pk}")
    if getattr(visitor, "is_authenticated", False):
        bind(consumer=visitor, link=link, on_signup=False)
    return visit


@transaction.atomic
def bind(*, consumer, link: ShareLink, on_signup: bool) -> CustomerBinding | None:
    """Attach ``consumer`` to the link's distributor per the brand's binding mode and validity.
    Suspended distributors and the distributor itself never bind."""
    program = program_for(link.brand_id)
    if (
        consumer.pk == link.distributor_id
        or not program.enabled
        or not is_active_distributor(link.distributor_id, link.brand_id)
    ):
        return None
    if program.binding_mode == BindingMode.ON_SIGNUP and not on_signup:
        return None
    now = clock.now()
    expires = now + timedelta(days=program.binding_days) if program.binding_days else None
    current = (
        CustomerBinding.objects.select_for_update().filter(brand_id=link.brand_id, consumer=consumer).first()
    )
    if current is not None:
        still_valid = current.expires_at is None or current.expires_at > now
        if current.distributor_id == link.distributor_id or (
            still_valid and program.binding_mode != BindingMode.LAST_TOUCH
        ):
            if (
                current.distributor_id == link.distributor_id
                and program.binding_mode == BindingMode.LAST_TOUCH
            ):
                current.expires_at = expires
                current.save(update_fields=["expires_at"])
            return current
        current.distributor_id, current.bound_at, current.expires_at, current.link = (
            link.distributor_id,
            now,
            expires,
            link,
        )
        current.save(update_fields=["distributor", "bound_at", "expires_at", "link"])
        return current
    return CustomerBinding.objects.create(
        brand_id=link.brand_id,
        consumer=consumer,
        distributor_id=link.distributor_id,
        bound_at=now,
        expires_at=expires,
        link=link,
    )


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


# "Settled" as the level rules test it.  COALESCE on purpose: PostgreSQL has no statistics for the
# expression, so stale ones ("nothing is settled yet", right after a large settlement) cannot make
# it walk every order of the brand instead of the distributor's few commissions.
SETTLED_ORDER = "COALESCE(o.settled_at, NULL) IS NOT NULL"
# The commissions whose paid goods count for levels: level 1, not reversed in full (an order
# refunded in full before settlement sold nothing).
LEVEL_COMMISSION = "c.level = 1 AND c.status <> 'reversed'"


def settled_sales(*, brand_id: int, distributor_id: int) -> int:
    """What counts for levels, computed from the commissions: the paid goods of the distributor's
    level-1 commissions (not reversed) on settled orders of the brand (fen).  Settlement keeps the
    same number on the membership (``add_settled_sales``); this is the check and the backfill."""
    from django.db import connection

    from fenxiao.trade.models import Order

    from .models import Commission

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUM(c.base_amount) FROM {Commission._meta.db_table} c"
            f" JOIN {Order._meta.db_table} o ON o.id = c.order_id"
            f" WHERE c.distributor_id = %s AND {LEVEL_COMMISSION} AND o.brand_id = %s AND {SETTLED_ORDER}",
            [distributor_id, brand_id],
        )
        return cursor.fetchone()[0] or 0


def add_settled_sales(order) -> None:
    """Add a just-settled order's level-1 goods to its distributors' settled sales (one UPDATE;
    the batch twin is ``settlement_batch.add_batch_settled_sales``)."""
    from .models import Commission, CommissionStatus

    for distributor_id, base in (
        Commission.objects.filter(order=order, level=1)
        .exclude(status=CommissionStatus.REVERSED)
        .values_list("distributor_id", "base_amount")
    ):
        DistributorMembership.objects.filter(brand_id=order.brand_id, distributor_id=distributor_id).update(
            settled_sales=F("settled_sales") + base
        )


def best_level(levels, *, sales: int, customers: int) -> DistributorLevel | None:
    """The highest-rate level (first of equals in the levels' order) that ``sales`` fen of settled
    sales or ``customers`` bound customers reach."""
    reached = [
        lvl
        for lvl in levels
        if sales >= lvl.min_sales and (lvl.min_customers == 0 or customers >= lvl.min_customers)
    ]
    return max(reached, key=lambda lvl: lvl.rate_bps, default=None)


def upgrade_level(*, brand_id: int, distributor_id: int) -> DistributorLevel | None:
    """Move a distributor up to the highest level its settled sales or customers reach.  Levels
    only go up: a lower result never downgrades silently."""
    membership = (
        DistributorMembership.objects.select_for_update(of=("self",))
        .select_related("level")
        .filter(brand_id=brand_id, distributor_id=distributor_id)
        .first()
    )
    if membership is None:
        return None
    sales = membership.settled_sales
    customers = CustomerBinding.objects.filter(brand_id=brand_id, distributor_id=distributor_id).count()
    best = best_level(DistributorLevel.objects.filter(brand_id=brand_id), sales=sales, customers=customers)
    if best and (membership.level is None or best.rate_bps > membership.level.rate_bps):
        membership.level = best
        membership.save(update_fields=["level"])
        DistributorNotice.objects.create(
            distributor_id=distributor_id,
            message=_("You reached the level %(level)s.") % {"level": best.name},
        )
    return membership.level
