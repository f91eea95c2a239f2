"""Full-reduction promotions (满减), pricing position 22 (the promotion stage).

The highest tier the chosen products reach applies; the amount is spread over those lines by
largest remainder (``core.money.allocate``), weighted by what each line still costs, so the
parts add up exactly and the earlier lines win ties.  Only one promotion applies per order (the
one taking off most); lines sold at a special price (flash sale, group price) are left out.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core.money import allocate
from fenxiao.trade.pricing import LINE_PARTS

from .models import Promotion
from .plugins import MarketingTool

SPECIAL_PRICE_TOOLS = ("flash", "group")


def clean_tiers(tiers: list) -> list[list[int]]:
    """[[threshold fen, off fen], …] sorted by threshold; each off below its threshold."""
    cleaned = []
    for tier in tiers:
        try:
            threshold, off = int(tier[0]), int(tier[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise ValidationError(_("Each tier is a minimum spend and an amount off.")) from exc
        if threshold <= 0 or off <= 0 or off >= threshold:
            raise ValidationError(
                _("Each tier takes off less than its minimum spend, and both are positive.")
            )
        cleaned.append([threshold, off])
    if not cleaned:
        raise ValidationError(_("Add at least one tier."))
    cleaned.sort()
    if len({t for t, _o in cleaned}) != len(cleaned):
        raise ValidationError(_("Two tiers have the same minimum spend."))
    return cleaned


def tier_off(tiers: list[list[int]], base: int) -> int:
    off = 0
    for threshold, amount in tiers:
        if base >= threshold:
            off = amount
    return min(off, base)


class PromotionTool(MarketingTool):
    name = "promotion"
    position = 22

    def applies_to(self, order, line, consumer, now) -> bool:
        return True

    def adjust(self, order, consumer, now) -> dict[int, int]:
        special = set()
        for tool in SPECIAL_PRICE_TOOLS:
            special.update(order.adjustments.get(LINE_PARTS, {}).get(tool, {}))
        if getattr(order, "_marketing_special", None):
            special.update(order._marketing_special)
        best: tuple[int, Promotion | None, list[int]] = (0, None, [])
        live = Promotion.objects.filter(
            brand_id=order.brand.pk, paused=False, starts_at__lte=now, ends_at__gt=now
        )
        for promotion in live:
            indexes = [
                i
                for i, line in enumerate(order.lines)
                if i not in special
                and line.paid > 0
                and (not promotion.product_ids or line.sku.product_id in promotion.product_ids)
            ]
            off = tier_off(promotion.tiers, sum(order.lines[i].paid for i in indexes))
            if off > best[0]:
                best = (off, promotion, indexes)
        off, promotion, indexes = best
        if promotion is None:
            return {}
        order.adjustments[self.name] = promotion.pk
        weights = [order.lines[i].paid for i in indexes]
        return dict(zip(indexes, allocate(off, weights), strict=True))

    def reference_for(self, priced_order) -> str:
        return f"promotion:{priced_order.adjustments.get(self.name, '')}"

    def on_placed(self, order, priced_order) -> None:
        pk = priced_order.adjustments.get(self.name)
        if pk:
            Promotion.objects.filter(pk=pk).update(used_count=F("used_count") + 1)
