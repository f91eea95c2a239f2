"""Demo CRM data on top of the existing demo (``fenxiao.web.demo``); idempotent.

For every approved brand: points rules (1 point per yuan, 1 point = 1 fen, at most 30% of the
goods, expiring at the end of the following year), three levels (普通会员 0, 银卡 500 with 2% off,
金卡 2000 with 5% off and free shipping), a member for each demo consumer (13700000001…20), the
points of completed demo orders, 500 welcome points for the first consumer, two tags, a saved
segment "高价值" and RFM scores."""

from __future__ import annotations

from django.db import transaction

from fenxiao.accounts.models import Brand, BrandStatus, User
from fenxiao.core import clock
from fenxiao.core.output import line_writer
from fenxiao.trade.models import Order, OrderStatus

from .members import ensure_member, upgrade_level
from .models import Channel, LoyaltySettings, Member, MemberLevel, MemberTag, PointsKind, Segment, Tag
from .points import _move, earn_for_completed
from .segments import compute_rfm

LEVELS = [("普通会员", 0, 0, False), ("银卡", 500, 200, False), ("金卡", 2000, 500, True)]


@transaction.atomic
def seed(stdout=None) -> None:
    out = line_writer(stdout)
    consumers = list(User.objects.filter(phone__startswith="1370000").order_by("phone")[:20])
    for brand in Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id"):
        LoyaltySettings.objects.get_or_create(
            brand=brand,
            defaults={"points_per_yuan": 1, "point_value_fen": 1, "redeem_cap_bps": 3000, "expiry_years": 1},
        )
        for name, threshold, bps, free in LEVELS:
            MemberLevel.objects.get_or_create(
                brand=brand,
                name=name,
                defaults={"growth_threshold": threshold, "discount_bps": bps, "free_shipping": free},
            )
        for consumer in consumers:
            ensure_member(brand_id=brand.pk, consumer=consumer, channel=Channel.LINK)
        for order in Order.objects.filter(brand=brand, status=OrderStatus.COMPLETED, consumer__in=consumers):
            earn_for_completed(order)
        for member in Member.objects.select_for_update().filter(brand=brand):
            upgrade_level(member)
        first = Member.objects.select_for_update().filter(brand=brand, consumer__in=consumers[:1]).first()
        if first:
            _move(first, kind=PointsKind.ADJUST, delta=500, reference="demo:welcome", year=clock.now().year)
        old, promising = (Tag.objects.get_or_create(brand=brand, name=n)[0] for n in ("老客", "高潜"))
        members = list(Member.objects.filter(brand=brand, consumer__in=consumers).order_by("id"))
        MemberTag.objects.bulk_create(
            [MemberTag(member=m, tag=old) for m in members[:5]]
            + [MemberTag(member=m, tag=promising) for m in members[3:9]],
            ignore_conflicts=True,
        )
        Segment.objects.get_or_create(brand=brand, name="高价值", defaults={"filters": {"min_paid": 10000}})
        compute_rfm(brand.pk)
        out(f"  {brand.name}: {Member.objects.filter(brand=brand).count()} members, levels and points ready")
