"""Members: created on a brand's first touch (share-link visit, first order, WeChat follow),
kept up to date by the order lifecycle, levelled up by growth value (never down silently)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock
from fenxiao.core.events import publish

from .models import Channel, Member, MemberLevel, MemberTag, Tag
from .points import MEMBER

_UNKNOWN = object()


def _member_created(member: Member) -> None:
    publish(
        "member.created",
        {
            "member_id": member.pk,
            "brand_id": member.brand_id,
            "consumer_id": member.consumer_id,
            "channel": member.source_channel,
            "distributor_id": member.source_distributor_id,
        },
        aggregate=f"member:{member.pk}",
    )


def ensure_member(
    *,
    brand_id: int,
    consumer,
    channel: str,
    distributor_id: int | None = None,
    campaign: str = "",
    known_absent: bool = False,
) -> Member:
    """The consumer's member of the brand, created (with its source) on the first touch.
    ``known_absent``: the caller read, in its still-open transaction, that there is none (the
    checkout's pricing did), so it is not read again (a concurrent first touch is still caught).

    Only a creation writes, so only it opens a transaction — the member, its level and its
    ``member.created`` event together; inside the caller's transaction it joins it without a
    savepoint of its own (``savepoint=False``: every error here propagates and undoes the caller's
    transaction anyway), and the one savepoint left is the INSERT's, which a concurrent first touch
    rolls back to."""
    if not known_absent:
        existing = Member.objects.filter(brand_id=brand_id, consumer=consumer).first()
        if existing:
            return existing
    if distributor_id == consumer.pk:
        distributor_id = None
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                member = Member.objects.create(
                    brand_id=brand_id,
                    consumer=consumer,
                    display_name=str(consumer)[:60],
                    source_channel=channel,
                    source_distributor_id=distributor_id,
                    source_campaign=campaign[:60],
                    created_at=clock.now(),
                )
        except IntegrityError:  # a concurrent first touch won
            return Member.objects.get(brand_id=brand_id, consumer=consumer)
        _assign_level(member)
        _member_created(member)
    return member


def create_fan_member(*, brand_id: int, name: str, distributor_id: int | None) -> Member:
    """A member for a WeChat fan who has no account yet (attached on OAuth sign-in)."""
    member = Member.objects.create(
        brand_id=brand_id,
        display_name=name[:60],
        source_channel=Channel.WECHAT,
        source_distributor_id=distributor_id,
        created_at=clock.now(),
    )
    _assign_level(member)
    _member_created(member)
    return member


def _assign_level(member: Member) -> None:
    level = (
        MemberLevel.objects.filter(brand_id=member.brand_id, growth_threshold__lte=member.growth)
        .order_by("-growth_threshold")
        .first()
    )
    current = member.level.growth_threshold if member.level_id else -1
    if level and level.growth_threshold > current:
        member.level = level
        member.save(update_fields=["level"])


def upgrade_level(member: Member) -> MemberLevel | None:
    """Move ``member`` (locked) up to the highest level its growth reaches; never down."""
    before = member.level_id
    _assign_level(member)
    if member.level_id != before:
        publish(
            "member.level_changed",
            {"member_id": member.pk, "brand_id": member.brand_id, "level_id": member.level_id},
            aggregate=f"member:{member.pk}",
        )
    return member.level


def _require(actor: BrandStaff, permission: str, brand_id: int) -> None:
    if actor.brand_id != brand_id or not actor.can(permission):
        raise PermissionDenied(_("Your role does not allow this."))


@transaction.atomic
def add_level(
    *, actor: BrandStaff, name: str, growth_threshold: int, discount_bps: int = 0, free_shipping: bool = False
) -> MemberLevel:
    _require(actor, Perm.MARKETING_MANAGE, actor.brand_id)
    if not 0 <= discount_bps <= 10000:
        raise ValidationError(_("A member discount is between 0% and 100%."))
    if MemberLevel.objects.filter(brand_id=actor.brand_id, name=name).exists():
        raise ValidationError(_("A level with this name already exists."))
    if MemberLevel.objects.filter(brand_id=actor.brand_id, growth_threshold=growth_threshold).exists():
        raise ValidationError(_("Another level starts at this growth value."))
    level = MemberLevel.objects.create(
        brand_id=actor.brand_id,
        name=name,
        growth_threshold=growth_threshold,
        discount_bps=discount_bps,
        free_shipping=free_shipping,
    )
    for member in Member.objects.select_for_update().filter(
        brand_id=actor.brand_id, growth__gte=growth_threshold
    ):
        upgrade_level(member)
    return level


@transaction.atomic
def tag_members(*, actor: BrandStaff, member_ids: list[int], tag_name: str) -> int:
    """Bulk tagging: add ``tag_name`` to the brand's members among ``member_ids``."""
    _require(actor, Perm.MEMBERS_VIEW, actor.brand_id)
    tag_name = tag_name.strip()
    if not tag_name or len(tag_name) > 30:
        raise ValidationError(_("A tag is 1 to 30 characters."))
    tag, _created = Tag.objects.get_or_create(brand_id=actor.brand_id, name=tag_name)
    ids = list(Member.objects.filter(brand_id=actor.brand_id, pk__in=member_ids).values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("Choose at least one member."))
    MemberTag.objects.bulk_create([MemberTag(member_id=pk, tag=tag) for pk in ids], ignore_conflicts=True)
    return len(ids)


@transaction.atomic
def set_notes(*, actor: BrandStaff, member_id: int, notes: str) -> Member:
    _require(actor, Perm.MEMBERS_VIEW, actor.brand_id)
    member = Member.objects.select_for_update().get(pk=member_id, brand_id=actor.brand_id)
    member.notes = notes[:2000]
    member.save(update_fields=["notes"])
    return member


# --- order lifecycle -------------------------------------------------------------------------


def on_order_created(order, priced_order=None) -> None:
    """The order's member, created on the consumer's first order at the brand.  The checkout's
    pricing read the member already, in this transaction (``points.MEMBER``): nothing to do when
    it was there (members are never deleted), no second read when it was not."""
    known = priced_order.adjustments.get(MEMBER, _UNKNOWN) if priced_order is not None else _UNKNOWN
    if known is not _UNKNOWN and known is not None:
        return
    ensure_member(
        brand_id=order.brand_id,
        consumer=order.consumer,
        channel=Channel.ORDER,
        distributor_id=order.distributor_id,
        known_absent=known is None,
    )


def on_order_paid(order) -> None:
    member = _locked(order)
    now = order.paid_at or clock.now()
    member.order_count += 1
    member.total_paid += order.paid_amount
    member.first_order_at = member.first_order_at or now
    member.last_order_at = now
    member.save(update_fields=["order_count", "total_paid", "first_order_at", "last_order_at"])


def on_refunded(order, amount: int) -> None:
    member = _locked(order)
    member.total_paid = max(0, member.total_paid - amount)
    member.save(update_fields=["total_paid"])


def _locked(order) -> Member:
    """The order's member, locked; created first if the consumer has none yet (one locking read
    when it exists, as it does after any checkout)."""
    member = (
        Member.objects.select_for_update()
        .filter(brand_id=order.brand_id, consumer_id=order.consumer_id)
        .first()
    )
    if member is not None:
        return member
    member = ensure_member(brand_id=order.brand_id, consumer=order.consumer, channel=Channel.ORDER)
    return Member.objects.select_for_update().get(pk=member.pk)
