"""Reads for the console and the shop."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from fenxiao.core import clock

from .models import (
    Coupon,
    FlashSale,
    Group,
    GroupDeal,
    GroupStatus,
    LineDiscount,
    MemberCoupon,
    MemberCouponStatus,
    Promotion,
)


def console_overview(brand_id: int) -> dict:
    """Each tool of the brand with its results."""
    now = clock.now()
    given = {
        (row["tool"], row["reference"]): row["total"]
        for row in LineDiscount.objects.filter(order__brand_id=brand_id)
        .values("tool", "reference")
        .annotate(total=Sum("amount"))
    }
    coupons = list(Coupon.objects.filter(brand_id=brand_id).order_by("-id")[:100])
    promotions = list(Promotion.objects.filter(brand_id=brand_id).order_by("-id")[:100])
    flash = list(
        FlashSale.objects.filter(brand_id=brand_id).select_related("sku__product").order_by("-id")[:100]
    )
    deals = list(
        GroupDeal.objects.filter(brand_id=brand_id)
        .select_related("sku__product")
        .annotate(
            opened=Count("groups"),
            succeeded=Count("groups", filter=Q(groups__status=GroupStatus.SUCCEEDED)),
            failed=Count("groups", filter=Q(groups__status=GroupStatus.FAILED)),
        )
        .order_by("-id")[:100]
    )
    for tool in promotions:
        tool.given = given.get(("promotion", f"promotion:{tool.pk}"), 0)
    for tool in flash:
        tool.given = given.get(("flash", f"flash:{tool.pk}"), 0)
    for tool in deals:
        tool.given = given.get(("group", f"group:{tool.pk}"), 0)
    coupon_given = {}
    for (tool, reference), total in given.items():
        if tool == "coupon":
            coupon_given[reference] = total
    for tool in [*coupons, *promotions, *flash, *deals]:
        tool.current_state = tool.state(now)
    return {"coupons": coupons, "promotions": promotions, "flash": flash, "deals": deals}


def shop_coupons(consumer=None):
    now = clock.now()
    qs = (
        Coupon.objects.filter(claimable=True, paused=False, starts_at__lte=now, ends_at__gt=now)
        .select_related("brand")
        .order_by("brand_id", "-id")
    )
    return list(qs[:200])


def my_coupons(consumer):
    now = clock.now()
    rows = list(
        MemberCoupon.objects.filter(consumer=consumer)
        .select_related("coupon", "coupon__brand")
        .order_by("-id")[:200]
    )
    for mc in rows:
        if mc.status == MemberCouponStatus.USED:
            mc.shown_state = "used"
        elif mc.valid_until <= now:
            mc.shown_state = "expired"
        else:
            mc.shown_state = "available"
    return rows


def product_offers(product) -> dict:
    now = clock.now()
    flash = list(
        FlashSale.objects.filter(sku__product=product, paused=False, ends_at__gt=now)
        .select_related("sku")
        .order_by("starts_at")[:5]
    )
    for sale in flash:
        sale.live = sale.is_live(now)
        sale.left = max(0, sale.quantity - sale.sold)
    deals = list(
        GroupDeal.objects.filter(sku__product=product, paused=False, starts_at__lte=now, ends_at__gt=now)
        .select_related("sku")
        .order_by("-id")[:5]
    )
    open_groups: dict[int, list] = {}
    if deals:  # one query for every deal's open groups (the soonest to close first)
        for group in Group.objects.filter(
            deal__in=deals, status=GroupStatus.OPEN, expires_at__gt=now, paid_count__gt=0
        ).order_by("expires_at")[:50]:
            open_groups.setdefault(group.deal_id, []).append(group)
    for deal in deals:
        deal.open_groups = open_groups.get(deal.pk, [])[:3]
    coupons = Coupon.objects.filter(
        brand_id=product.brand_id, claimable=True, paused=False, starts_at__lte=now, ends_at__gt=now
    ).count()
    return {"flash": flash, "deals": deals, "coupon_count": coupons, "now": now}


def my_open_group(deal, consumer):
    """The newest group of ``deal`` the consumer holds a seat in (to share its link)."""
    from .models import GroupSeat

    seat = (
        GroupSeat.objects.filter(group__deal=deal, consumer=consumer, cancelled=False)
        .select_related("group")
        .order_by("-id")
        .first()
    )
    return seat.group if seat else None


def in_group(group, consumer) -> bool:
    return group.seats.filter(consumer=consumer, cancelled=False).exists()
