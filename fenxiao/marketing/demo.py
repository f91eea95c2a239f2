"""Demo marketing data on top of the existing demo (``fenxiao.web.demo``); idempotent (matched by
name, so running it twice adds nothing).

For every approved brand, on its first products: a coupon "新人券 满99减10" (claimable, 1000 of
them, one per member, valid 7 days after claim) and a stackable "会员 9 折券" (10% off, at most
¥20), a full reduction "满199减20 / 满399减50", a flash sale of 20 units of the first SKU at
half price (one per member, running for the next 30 days) and a 2-person group deal on the second
product's first SKU at 80% of its price (24 hours to complete)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from fenxiao.accounts.models import Brand, BrandStatus
from fenxiao.catalog.models import Sku
from fenxiao.core import clock
from fenxiao.core.output import line_writer

from .models import Coupon, CouponKind, FlashSale, GroupDeal, Promotion


@transaction.atomic
def seed(stdout=None) -> None:
    out = line_writer(stdout)
    now = clock.now()
    window = {"starts_at": now - timedelta(minutes=1), "ends_at": now + timedelta(days=30)}
    for brand in Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id"):
        skus = list(
            Sku.objects.filter(brand=brand, is_active=True, stock__gt=0)
            .select_related("product")
            .order_by("product_id", "id")
        )
        if not skus:
            continue
        Coupon.objects.get_or_create(
            brand=brand,
            name="新人券 满99减10",
            defaults={
                "kind": CouponKind.THRESHOLD,
                "amount": 1000,
                "threshold": 9900,
                "total_quantity": 1000,
                "valid_days": 7,
                **window,
            },
        )
        Coupon.objects.get_or_create(
            brand=brand,
            name="会员 9 折券",
            defaults={
                "kind": CouponKind.PERCENT,
                "percent_bps": 1000,
                "cap": 2000,
                "total_quantity": 500,
                "stackable": True,
                **window,
            },
        )
        Promotion.objects.get_or_create(
            brand=brand,
            name="满199减20 / 满399减50",
            defaults={"tiers": [[19900, 2000], [39900, 5000]], **window},
        )
        first = skus[0]
        FlashSale.objects.get_or_create(
            brand=brand,
            name=f"限时秒杀 · {first.product.title}",
            defaults={
                "sku": first,
                "price": max(1, first.retail_price // 2),
                "quantity": min(20, first.stock),
                "per_member_limit": 1,
                **window,
            },
        )
        second = next((s for s in skus if s.product_id != first.product_id), first)
        GroupDeal.objects.get_or_create(
            brand=brand,
            name=f"两人团 · {second.product.title}",
            defaults={
                "sku": second,
                "price": max(1, second.retail_price * 8 // 10),
                "size": 2,
                "hours": 24,
                **window,
            },
        )
        out(f"marketing: {brand.name} — coupons, 满减, flash sale on {first.product.title}, group deal")
