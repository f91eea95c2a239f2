"""Flash sales (秒杀), pricing position 20 (the promotion stage).

The buyer asks for the sale (``options["flash"] = sale id``); the line of the sale's SKU is then
priced at the flash price (the discount is the difference, attributed to that line).  Built for
the stampede, in the checkout transaction:

1. the buyer's counter row (unique per sale and consumer) is created, or raised with one
   conditional UPDATE (``bought + n <= limit``; a CHECK backs it);
2. the claim row (which order holds how many units) is written;
3. the unit is claimed with ONE conditional UPDATE on the sale (``sold + n <= quantity``; a CHECK
   backs it) — taken last, so the hot row is locked for the shortest time: after the other
   marketing tools have reserved (``reserves_hot_row``), after this sale's own rows.  What
   still runs under the lock is the checkout's (the ``order.created`` event and its job, the
   payment, the checkout's payment link) and COMMIT; the quota and claim rows' foreign keys take
   only a KEY SHARE lock on the sale's row, which does not queue behind the UPDATE's lock.

Any step failing refuses the checkout with a clear message and nothing written (the checkout's
transaction rolls back the rows written before it).  Once a sale is sold out, presses are refused
before any checkout work, from a short per-process memo (``soldout``).  An unpaid flash
order is cancelled after the sale's ``unpaid_minutes`` by a timer, which gives its units back.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fenxiao.core import clock
from fenxiao.trade.errors import TradeError
from fenxiao.trade.models import OrderStatus

from . import soldout
from .models import FlashClaim, FlashQuota, FlashSale
from .permissions import signed_in
from .plugins import MarketingTool


def _chosen_sale(order) -> int | None:
    try:
        return int(order.options.get("flash") or 0) or None
    except (TypeError, ValueError):
        return None


class FlashSaleTool(MarketingTool):
    name = "flash"
    position = 20
    reserves_hot_row = True  # the sale's tally: every buyer of the sale updates that one row

    def applies_to(self, order, line, consumer, now) -> bool:
        sale = order.adjustments.get("_flash_sale")
        return sale is not None and line.sku.pk == sale.sku_id

    def adjust(self, order, consumer, now) -> dict[int, int]:
        sale_id = _chosen_sale(order)
        if not sale_id or not signed_in(consumer):
            return {}
        sale = FlashSale.objects.filter(pk=sale_id, brand_id=order.brand.pk).first()
        if sale is None:
            return {}
        order.adjustments["_flash_sale"] = sale
        parts = {}
        for i, line in enumerate(order.lines):
            if self.applies_to(order, line, consumer, now) and sale.is_live(now):
                parts[i] = max(0, line.paid - sale.price * line.quantity)
                order.adjustments[self.name] = {"sale": sale.pk, "quantity": line.quantity}
        return parts

    def reference_for(self, priced_order) -> str:
        return f"flash:{priced_order.adjustments.get(self.name, {}).get('sale', '')}"

    def on_placed(self, order, priced_order) -> None:
        sale = priced_order.adjustments.get("_flash_sale")
        if sale is None:
            sale_id = _chosen_sale(priced_order)
            if sale_id and FlashSale.objects.filter(pk=sale_id, brand_id=order.brand_id).exists():
                raise TradeError(_("This flash sale is not on."))
            return
        noted = priced_order.adjustments.get(self.name)
        if not noted:
            raise TradeError(_("This flash sale is not on."))
        claim_unit(sale, order, noted["quantity"])

    def on_cancelled(self, order) -> None:
        if order.paid_at is None:
            release_units(order)
        # A paid flash order refunded in full before shipping keeps its unit and its member
        # count: the sale's tally is of units sold, and a sold-out sale does not reopen.  Its SKU
        # stock goes back (trade does that).


def claim_unit(sale: FlashSale, order, quantity: int) -> FlashClaim:
    now = clock.now()
    if quantity > sale.per_member_limit:
        raise TradeError(_("You may buy at most %(n)d in this flash sale.") % {"n": sale.per_member_limit})
    try:
        with transaction.atomic():
            FlashQuota.objects.create(
                sale=sale, consumer=order.consumer, bought=quantity, limit=sale.per_member_limit
            )
    except IntegrityError:
        raised = FlashQuota.objects.filter(
            sale=sale, consumer=order.consumer, bought__lte=F("limit") - quantity
        ).update(bought=F("bought") + quantity)
        if not raised:
            raise TradeError(
                _("You already bought as many as allowed in this flash sale (%(n)d).")
                % {"n": sale.per_member_limit}
            ) from None
    claim = FlashClaim.objects.create(
        sale=sale, order=order, consumer=order.consumer, quantity=quantity, created_at=now
    )
    taken = FlashSale.objects.filter(  # the hot row, last: held from here to COMMIT
        pk=sale.pk,
        paused=False,
        starts_at__lte=now,
        ends_at__gt=now,
        sold__lte=F("quantity") - quantity,
    ).update(sold=F("sold") + quantity)
    if not taken:  # the checkout's transaction rolls the quota and the claim back
        raise TradeError(_("Sold out: every unit of this flash sale has been taken."))
    return claim


def release_units(order) -> None:
    claim = FlashClaim.objects.filter(order=order, released=False).first()
    if claim is None:
        return
    FlashClaim.objects.filter(pk=claim.pk).update(released=True)
    FlashSale.objects.filter(pk=claim.sale_id, sold__gte=claim.quantity).update(
        sold=F("sold") - claim.quantity
    )
    soldout.forget(claim.sale_id)  # the unit is back: this process stops refusing from its note
    FlashQuota.objects.filter(
        sale_id=claim.sale_id, consumer_id=claim.consumer_id, bought__gte=claim.quantity
    ).update(bought=F("bought") - claim.quantity)


def close_unpaid_flash_orders(batch: int = 500) -> int:
    """Cancel flash orders left unpaid beyond their sale's timeout (their units go back)."""
    from fenxiao.trade.orders import cancel_order

    now = clock.now()
    closed = 0
    claims = (
        FlashClaim.objects.filter(released=False, order__status=OrderStatus.PENDING_PAYMENT)
        .select_related("sale")
        .order_by("created_at")[:batch]
    )
    for claim in claims:
        if claim.created_at + _minutes(claim.sale.unpaid_minutes) > now:
            continue
        try:
            cancel_order(claim.order_id, actor_label="system", reason="flash sale: not paid in time")
            closed += 1
        except TradeError:
            continue
    return closed


def _minutes(n: int):
    from datetime import timedelta

    return timedelta(minutes=n)
