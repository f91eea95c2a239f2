"""Points and member prices.

- Member price (pricing position 10): the member's level discount, per line, and free shipping.
- Points (pricing position 40): the buyer asks to redeem ``options["points"][brand_id]`` points;
  at most the balance and the brand's cap (basis points of the goods after earlier discounts).
  Their value is a discount spread over the lines by largest remainder, so the consumer pays
  less, the commission base (paid price of goods) shrinks with it and the ledger only ever sees
  the money actually paid: it stays balanced without any points account.
- Earned per yuan of goods paid when the order completes (not on payment), reversed pro rata on
  refunds, restored when an order is cancelled (unpaid, or paid and refunded in full before
  shipping), expired by calendar year by a timer.

Every movement is an immutable :class:`PointsEntry` written in the transaction that moves
``Member.points_balance`` (a CHECK keeps it >= 0); (member, kind, reference) is unique, so a
retried job never moves points twice.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from fenxiao.core import clock
from fenxiao.core.money import allocate, apply_bps

from .models import Channel, LoyaltySettings, Member, PointsEntry, PointsKind


def loyalty_for(brand_id: int) -> LoyaltySettings:
    found = LoyaltySettings.objects.filter(brand_id=brand_id).first()
    return found or LoyaltySettings(brand_id=brand_id)


#: ``PricedOrder.adjustments[MEMBER]``: the consumer's member of the order's brand (with its
#: level), or None when it has none — read once per pricing run, by the first step that needs it,
#: and handed to the next (member price, then points) and to ``members.on_order_created``.
MEMBER = "_crm_member"


def _consumer_members(orders, consumer) -> dict[int, Member]:
    """{brand id: member} of ``consumer`` at the orders' brands: one read per pricing run, kept in
    each order's ``adjustments[MEMBER]`` for the later steps."""
    if consumer is None or not getattr(consumer, "is_authenticated", False):
        return {}
    if orders and all(MEMBER in o.adjustments for o in orders):
        return {o.brand.pk: o.adjustments[MEMBER] for o in orders if o.adjustments[MEMBER] is not None}
    brand_ids = [o.brand.pk for o in orders]
    found = {
        m.brand_id: m
        for m in Member.objects.filter(brand_id__in=brand_ids, consumer=consumer).select_related("level")
    }
    for order in orders:
        order.adjustments[MEMBER] = found.get(order.brand.pk)
    return found


def member_price_adjuster(orders, consumer) -> None:
    members = _consumer_members(orders, consumer)
    for order in orders:
        member = members.get(order.brand.pk)
        if member is None or member.level is None:
            continue
        if member.level.free_shipping:
            order.free_shipping = True
        bps = member.level.discount_bps
        if not bps:
            continue
        applied = 0
        for line in order.lines:  # per unit, so n units cost n times what one unit shows
            cut = min(line.paid, apply_bps(line.unit_price, bps) * line.quantity)
            line.discount += cut
            applied += cut
        order.adjustments["member_discount"] = applied


def redeemable(order, member: Member, settings: LoyaltySettings) -> int:
    """The most points ``member`` may spend on ``order`` (balance and the brand's cap)."""
    cap_value = apply_bps(order.goods - order.discount, settings.redeem_cap_bps)
    return max(0, min(member.points_balance, cap_value // settings.point_value_fen))


def points_adjuster(orders, consumer) -> None:
    """Redeem the points asked for; also note what could be redeemed (``points_available``) so
    the checkout page can offer it."""
    wanted_by_brand = {}
    for order in orders:
        wanted_by_brand = order.options.get("points") or {}
        break
    members = _consumer_members(orders, consumer)
    for order in orders:
        member = members.get(order.brand.pk)
        if member is not None and member.points_balance > 0:
            settings = loyalty_for(order.brand.pk)
            most = redeemable(order, member, settings)
            if most:
                order.adjustments["points_available"] = (most, most * settings.point_value_fen)
        try:
            wanted = int(wanted_by_brand.get(order.brand.pk) or wanted_by_brand.get(str(order.brand.pk)) or 0)
        except (TypeError, ValueError):
            wanted = 0
        if member is None or wanted <= 0:
            continue
        settings = loyalty_for(order.brand.pk)
        points = min(wanted, redeemable(order, member, settings))
        if points <= 0:
            continue
        value = points * settings.point_value_fen
        for line, part in zip(order.lines, allocate(value, [line.paid for line in order.lines]), strict=True):
            line.discount += part
        order.adjustments["points"] = (points, value)


def _move(member: Member, *, kind: str, delta: int, reference: str, year: int, order=None, amount: int = 0):
    """Write one entry and move the balance of the (locked) member; None if already written."""
    if PointsEntry.objects.filter(member=member, kind=kind, reference=reference).exists():
        return None
    member.points_balance += delta
    if member.points_balance < 0:
        from fenxiao.trade.errors import TradeError

        raise TradeError(_("You do not have enough points."))
    try:
        with transaction.atomic():
            entry = PointsEntry.objects.create(
                member=member,
                kind=kind,
                delta=delta,
                balance_after=member.points_balance,
                reference=reference,
                order=order,
                year=year,
                amount_fen=amount,
                at=clock.now(),
            )
    except IntegrityError:
        member.points_balance -= delta
        return None
    Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") + delta)
    return entry


def _lock(brand_id: int, consumer) -> Member | None:
    return Member.objects.select_for_update().filter(brand_id=brand_id, consumer=consumer).first()


def on_order_placed(order, priced_order) -> None:
    """Spend the points the pricing applied, in the checkout's transaction (or refuse it)."""
    applied = priced_order.adjustments.get("points")
    if not applied:
        return
    points, value = applied
    member = _lock(order.brand_id, order.consumer)
    _move(
        member,
        kind=PointsKind.REDEEM,
        delta=-points,
        reference=f"order:{order.pk}",
        year=clock.now().year,
        order=order,
        amount=value,
    )


def restore_for_cancelled(order) -> None:
    redeemed = PointsEntry.objects.filter(kind=PointsKind.REDEEM, order=order).first()
    if redeemed is None:
        return
    member = Member.objects.select_for_update().get(pk=redeemed.member_id)
    _move(
        member,
        kind=PointsKind.RESTORE,
        delta=-redeemed.delta,
        reference=f"order:{order.pk}",
        year=clock.now().year,
        order=order,
        amount=redeemed.amount_fen,
    )


def earn_for_completed(order) -> PointsEntry | None:
    """Points and growth for the goods paid (net of refunds so far), once per order."""
    from .members import ensure_member, upgrade_level

    ensure_member(brand_id=order.brand_id, consumer=order.consumer, channel=Channel.ORDER)
    member = _lock(order.brand_id, order.consumer)
    if PointsEntry.objects.filter(
        member=member, kind=PointsKind.EARN, reference=f"order:{order.pk}"
    ).exists():
        return None
    base = max(0, order.paid_amount - order.shipping_amount - order.refunded_amount)
    yuan = base // 100
    member.growth += yuan
    member.save(update_fields=["growth"])
    upgrade_level(member)
    points = yuan * loyalty_for(order.brand_id).points_per_yuan
    if points <= 0:
        return None
    return _move(
        member,
        kind=PointsKind.EARN,
        delta=points,
        reference=f"order:{order.pk}",
        year=clock.now().year,
        order=order,
        amount=base,
    )


def reverse_for_refund(order, amount: int, refund_key: str) -> PointsEntry | None:
    """Take back the points earned on ``order`` in proportion to the money refunded after they
    were earned (cumulative, so the parts add up to the whole; never below a zero balance)."""
    earned = PointsEntry.objects.filter(kind=PointsKind.EARN, order=order).first()
    if earned is None or earned.amount_fen <= 0:
        return None  # not earned yet: earning will count only what is left after refunds
    member = Member.objects.select_for_update().get(pk=earned.member_id)
    previous = PointsEntry.objects.filter(member=member, kind=PointsKind.REVERSE, order=order).aggregate(
        refunded=Sum("amount_fen"), points=Sum("delta")
    )
    refunded = min(earned.amount_fen, (previous["refunded"] or 0) + amount)
    target = earned.delta * refunded // earned.amount_fen
    take = min(target + (previous["points"] or 0), member.points_balance)
    if take <= 0:
        return None
    return _move(
        member,
        kind=PointsKind.REVERSE,
        delta=-take,
        reference=refund_key,
        year=earned.year,
        order=order,
        amount=amount,
    )


def expiring(member: Member, year: int) -> int:
    """Points of ``year`` and before still in the balance: redemptions use the oldest first, so
    they are whatever the balance holds beyond the (net) points earned after ``year``."""
    newer = (
        PointsEntry.objects.filter(
            member=member, kind__in=[PointsKind.EARN, PointsKind.REVERSE, PointsKind.ADJUST], year__gt=year
        ).aggregate(total=Sum("delta"))["total"]
        or 0
    )
    return max(0, member.points_balance - max(0, newer))


def expire_points(*, batch: int = 1000) -> int:
    """Expire every year whose end + the brand's rule has passed.  Idempotent; returns how many
    members lost points."""
    today = clock.now()
    touched = 0
    for settings in LoyaltySettings.objects.filter(expiry_years__gt=0):
        last_expired_year = today.year - 1 - settings.expiry_years
        if last_expired_year < 1:
            continue
        while True:
            with transaction.atomic():
                members = list(
                    Member.objects.select_for_update()
                    .filter(brand_id=settings.brand_id, points_expired_through__lt=last_expired_year)
                    .order_by("pk")[:batch]
                )
                if not members:
                    break
                for member in members:
                    lose = expiring(member, last_expired_year) if member.points_balance else 0
                    if lose:
                        _move(
                            member,
                            kind=PointsKind.EXPIRE,
                            delta=-lose,
                            reference=f"year:{last_expired_year}",
                            year=last_expired_year,
                        )
                        touched += 1
                    Member.objects.filter(pk=member.pk).update(points_expired_through=last_expired_year)
    return touched


@transaction.atomic
def adjust_points(*, actor, member_id: int, delta: int, reason: str) -> PointsEntry | None:
    from django.core.exceptions import PermissionDenied

    from fenxiao.accounts.roles import Perm

    if not actor.can(Perm.MARKETING_MANAGE):
        raise PermissionDenied(_("Your role does not allow this."))
    member = Member.objects.select_for_update().get(pk=member_id, brand_id=actor.brand_id)
    now = clock.now()
    return _move(
        member,
        kind=PointsKind.ADJUST,
        delta=delta,
        reference=f"{reason[:40]}:{now.timestamp()}",
        year=now.year,
    )
