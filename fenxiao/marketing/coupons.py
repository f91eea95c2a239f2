"""Coupons: claim in the shop or issued by the brand, applied at pricing position 30.

Stacking: one coupon per order, unless every chosen coupon is stackable.  A chosen coupon that
cannot apply (another brand, expired, threshold not reached, no applicable product) is shown as
not applied in the preview and refuses the order when placed, so nothing is charged silently.
A used coupon is recorded on the order (``MemberCoupon.order``) and given back when the order is
cancelled: unpaid (cancelled or closed), or paid and refunded in full before anything shipped (a
failed group buy, an after-sales refund of everything) — the member paid nothing in the end and
keeps the coupon, within its own validity.  A partial refund or a refund after shipping does not
give it back.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.core import clock
from fenxiao.core.money import allocate, apply_bps
from fenxiao.crm.models import Member
from fenxiao.crm.segments import members_in_segment
from fenxiao.trade.errors import TradeError

from .models import Audience, Coupon, CouponKind, MemberCoupon, MemberCouponStatus
from .permissions import chosen_ids, require_manage, signed_in
from .plugins import MarketingTool


def in_audience(coupon: Coupon, consumer) -> bool:
    if coupon.audience == Audience.EVERYONE:
        return True
    if coupon.audience == Audience.LEVEL:
        return Member.objects.filter(
            brand_id=coupon.brand_id, consumer=consumer, level_id=coupon.level_id
        ).exists()
    if coupon.segment is None:
        return False
    return members_in_segment(coupon.segment).filter(consumer=consumer).exists()


def _grant(coupon: Coupon, consumer, now, *, issued_by=None) -> MemberCoupon | None:
    """Give ``consumer`` one coupon within the quantity and the per-member limit (the coupon row
    is locked by the caller), or None when a limit is reached."""
    held = MemberCoupon.objects.filter(coupon=coupon, consumer=consumer).count()
    if held >= coupon.per_member_limit:
        return None
    if not Coupon.objects.filter(pk=coupon.pk, claimed_count__lt=F("total_quantity")).update(
        claimed_count=F("claimed_count") + 1
    ):
        return None
    until = now + timedelta(days=coupon.valid_days) if coupon.valid_days else coupon.ends_at
    return MemberCoupon.objects.create(
        coupon=coupon,
        consumer=consumer,
        valid_from=now,
        valid_until=until,
        claimed_at=now,
        issued_by=issued_by,
    )


@transaction.atomic
def claim_coupon(*, consumer, coupon_id: int) -> MemberCoupon:
    """A member claims a coupon in the shop."""
    coupon = Coupon.objects.select_for_update().filter(pk=coupon_id, claimable=True).first()
    now = clock.now()
    if coupon is None or not coupon.is_live(now):
        raise ValidationError(_("This coupon cannot be claimed now."))
    if not in_audience(coupon, consumer):
        raise ValidationError(_("This coupon is for other members."))
    if MemberCoupon.objects.filter(coupon=coupon, consumer=consumer).count() >= coupon.per_member_limit:
        raise ValidationError(_("You already have as many of this coupon as allowed."))
    granted = _grant(coupon, consumer, now)
    if granted is None:
        raise ValidationError(_("All of this coupon have been claimed."))
    return granted


@transaction.atomic
def issue_coupon(*, actor: BrandStaff, coupon_id: int) -> int:
    """The brand issues the coupon to every member of its audience (within quantity and limit).
    Returns how many were issued."""
    coupon = Coupon.objects.select_for_update().filter(pk=coupon_id, brand_id=actor.brand_id).first()
    if coupon is None:
        raise ValidationError(_("No such coupon."))
    require_manage(actor, coupon.brand_id)
    now = clock.now()
    if now >= coupon.ends_at:
        raise ValidationError(_("This coupon has ended."))
    if coupon.audience == Audience.SEGMENT and coupon.segment is not None:
        members = members_in_segment(coupon.segment)
    else:
        members = Member.objects.filter(brand_id=coupon.brand_id)
        if coupon.audience == Audience.LEVEL:
            members = members.filter(level_id=coupon.level_id)
    issued = 0
    for member in members.filter(consumer__isnull=False).select_related("consumer").order_by("pk")[:10000]:
        if _grant(coupon, member.consumer, now, issued_by=actor.user) is not None:
            issued += 1
    return issued


def usable_coupons(consumer, *, brand_ids=None):
    now = clock.now()
    qs = MemberCoupon.objects.filter(
        consumer=consumer,
        status=MemberCouponStatus.AVAILABLE,
        valid_from__lte=now,
        valid_until__gt=now,
        coupon__paused=False,
    ).select_related("coupon", "coupon__brand")
    if brand_ids is not None:
        qs = qs.filter(coupon__brand_id__in=brand_ids)
    return qs


def coupon_value(coupon: Coupon, base: int) -> int:
    """What ``coupon`` takes off ``base`` fen of applicable goods (0 when it does not apply)."""
    if base <= 0 or base < coupon.threshold:
        return 0
    if coupon.kind == CouponKind.PERCENT:
        value = apply_bps(base, coupon.percent_bps)
        if coupon.cap:
            value = min(value, coupon.cap)
    else:
        value = coupon.amount
    return min(value, base)


def line_applies(coupon: Coupon, line) -> bool:
    product = line.sku.product
    if coupon.product_ids and product.pk not in coupon.product_ids:
        return False
    return not (coupon.category_ids and product.category_id not in coupon.category_ids)


class CouponTool(MarketingTool):
    """``options["coupons"]``: the member coupon ids the buyer chose (any brand's)."""

    name = "coupon"
    position = 30

    def _chosen(self, order, consumer) -> list[MemberCoupon]:
        ids = chosen_ids(order.options.get("coupons"))
        if not ids or not signed_in(consumer):
            return []
        found = {
            mc.pk: mc
            for mc in MemberCoupon.objects.filter(
                pk__in=ids, consumer=consumer, coupon__brand_id=order.brand.pk
            ).select_related("coupon")
        }
        return [found[i] for i in ids if i in found]

    def applies_to(self, order, line, consumer, now) -> bool:
        return True

    def adjust(self, order, consumer, now) -> dict[int, int]:
        chosen = self._chosen(order, consumer)
        if not chosen:
            return {}
        if len(chosen) > 1 and not all(mc.coupon.stackable for mc in chosen):
            applicable, rejected = chosen[:1], {mc.pk: _("cannot be combined") for mc in chosen[1:]}
        else:
            applicable, rejected = chosen, {}
        paid = [line.paid for line in order.lines]
        parts: dict[int, int] = {}
        applied = []
        for mc in applicable:
            usable = (
                mc.status == MemberCouponStatus.AVAILABLE
                and mc.valid_from <= now < mc.valid_until
                and not mc.coupon.paused
            )
            indexes = [
                i for i, line in enumerate(order.lines) if line_applies(mc.coupon, line) and paid[i] > 0
            ]
            value = coupon_value(mc.coupon, sum(paid[i] for i in indexes)) if usable else 0
            if not value:
                rejected[mc.pk] = _("does not apply to this order") if usable else _("no longer usable")
                continue
            for i, part in zip(indexes, allocate(value, [paid[i] for i in indexes]), strict=True):
                parts[i] = parts.get(i, 0) + part
                paid[i] -= part
            applied.append((mc.pk, value))
        order.adjustments[self.name] = {"applied": applied, "rejected": rejected}
        return parts

    def reference_for(self, priced_order) -> str:
        applied = priced_order.adjustments.get(self.name, {}).get("applied", [])
        return "coupon:" + ",".join(str(pk) for pk, _v in applied)

    def on_placed(self, order, priced_order) -> None:
        noted = priced_order.adjustments.get(self.name)
        if not noted:
            return
        if noted["rejected"]:
            raise TradeError(_("A coupon you chose cannot be used for this order; choose again."))
        now = clock.now()
        for pk, _value in noted["applied"]:
            taken = MemberCoupon.objects.filter(
                pk=pk, status=MemberCouponStatus.AVAILABLE, valid_until__gt=now
            ).update(status=MemberCouponStatus.USED, order=order, used_at=now)
            if not taken:
                raise TradeError(_("A coupon you chose was just used by another order."))
            Coupon.objects.filter(claims__pk=pk).update(used_count=F("used_count") + 1)

    def on_cancelled(self, order) -> None:
        returned = list(MemberCoupon.objects.filter(order=order, status=MemberCouponStatus.USED))
        for mc in returned:
            MemberCoupon.objects.filter(pk=mc.pk).update(
                status=MemberCouponStatus.AVAILABLE, order=None, used_at=None
            )
            Coupon.objects.filter(pk=mc.coupon_id, used_count__gt=0).update(used_count=F("used_count") - 1)


def coupon_results(brand_id: int):
    return Coupon.objects.filter(brand_id=brand_id).annotate(claims_total=Count("claims")).order_by("-id")
