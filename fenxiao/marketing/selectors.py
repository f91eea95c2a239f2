"""Reads for the console and the shop."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from fenxiao.core import clock, hotcache

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


PRODUCT_OFFERS_CACHE = "marketing.product_offers"
CLAIMABLE_COUPONS_CACHE = "marketing.claimable_coupons"


def product_offers(product) -> dict:
    """Flash sales, group deals (with their soonest-closing open groups) and the brand's number of
    claimable coupons for the product page.  The rows are shared by every visitor for a few
    seconds (``core.hotcache``; ``marketing.signals`` forgets them when a tool changes); what
    depends on the moment (live or not, units left) is worked out here for each view."""
    now = clock.now()
    flash, deals = hotcache.cached(PRODUCT_OFFERS_CACHE, product.pk, lambda: _product_offers(product, now))
    for sale in flash:
        sale.live = sale.is_live(now)
        sale.left = max(0, sale.quantity - sale.sold)
    deals = [deal for deal in deals if deal.starts_at <= now < deal.ends_at]
    for deal in deals:
        deal.open_groups = [group for group in deal.open_groups if group.expires_at > now]
    coupons = hotcache.cached(
        CLAIMABLE_COUPONS_CACHE,
        product.brand_id,
        lambda: Coupon.objects.filter(
            brand_id=product.brand_id, claimable=True, paused=False, starts_at__lte=now, ends_at__gt=now
        ).count(),
    )
    return {
        "flash": [s for s in flash if s.ends_at > now],
        "deals": deals,
        "coupon_count": coupons,
        "now": now,
    }


def _product_offers(product, now) -> tuple[list, list]:
    flash = list(
        FlashSale.objects.filter(sku__product=product, paused=False, ends_at__gt=now)
        .select_related("sku")
        .order_by("starts_at")[:5]
    )
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
    return flash, deals


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
