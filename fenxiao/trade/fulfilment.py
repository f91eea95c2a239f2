"""After payment: shipping (partial allowed), receipt, completion and settlement."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock
from fenxiao.ledger import services as ledger

from . import couriers, extensions, partner_flow
from .errors import TradeError
from .models import Order, OrderStatus, Shipment, ShipmentLine
from .orders import lock_order, transition
from .platform_fee import settlement_amounts
from .tracking import services as tracking


@transaction.atomic
def ship(
    *,
    actor: BrandStaff,
    order_id: int,
    carrier: str,
    tracking_no: str,
    quantities: Mapping[int, int] | None = None,
) -> Shipment:
    """Ship some or all remaining quantities (line id → quantity; everything left when omitted).
    The order becomes *shipped* when every unit has shipped."""
    if not actor.can(Perm.ORDERS_SHIP):
        raise TradeError(_("Your role may not ship orders."))
    order = Order.objects.select_for_update().filter(pk=order_id, brand_id=actor.brand_id).first()
    if order is None:
        raise Order.DoesNotExist(_("No such order in this brand."))
    if order.status != OrderStatus.PAID:
        raise TradeError(
            _("Only a paid order can be shipped; this one is %(status)s.")
            % {"status": order.get_status_display()}
        )
    blocked = extensions.ship_blocker(order)  # e.g. a group buy whose group is not complete yet
    if blocked:
        raise TradeError(blocked)
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    if not carrier or not tracking_no:
        raise TradeError(_("Give the carrier and the tracking number."))
    courier = couriers.find(carrier)
    if courier is None:
        raise TradeError(couriers.unknown_message(carrier))
    carrier = courier.code
    lines = {line.pk: line for line in order.lines.select_for_update()}
    held = extensions.units_held(order)
    wanted = (
        dict(quantities)
        if quantities
        else {pk: line.quantity - line.shipped_quantity - held.get(pk, 0) for pk, line in lines.items()}
    )
    wanted = {pk: q for pk, q in wanted.items() if q}
    if not wanted:
        raise TradeError(_("Choose at least one item to ship."))
    shipment = Shipment.objects.create(
        order=order,
        carrier=carrier[:40],
        tracking_no=tracking_no[:40],
        shipped_by=actor.user,
        shipped_at=clock.now(),
    )
    for pk, quantity in wanted.items():
        line = lines.get(pk)
        if line is None:
            raise TradeError(_("That item is not part of this order."))
        left = line.quantity - line.shipped_quantity - held.get(pk, 0)
        if quantity < 0 or quantity > left:
            raise TradeError(
                _("“%(title)s”: only %(left)d left to ship.") % {"title": line.title, "left": left}
            )
        line.shipped_quantity += quantity
        line.save(update_fields=["shipped_quantity"])
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity)
    if all(line.shipped_quantity + held.get(pk, 0) >= line.quantity for pk, line in lines.items()):
        transition(
            order,
            OrderStatus.SHIPPED,
            actor=actor.user,
            actor_label="brand staff",
            reason=f"{carrier} {tracking_no}",
        )
    extensions.shipped(order, shipment)
    tracking.schedule(shipment)
    return shipment


@transaction.atomic
def confirm_receipt(*, consumer, order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id, consumer=consumer).first()
    if order is None:
        raise Order.DoesNotExist(_("No such order."))
    return _receive(order, actor=consumer, actor_label="consumer", reason="receipt confirmed")


@transaction.atomic
def auto_confirm(order_id: int) -> Order:
    return _receive(lock_order(order_id), actor_label="system", reason="confirmed automatically")


def _receive(order: Order, *, actor=None, actor_label: str, reason: str) -> Order:
    transition(order, OrderStatus.COMPLETED, actor=actor, actor_label=actor_label, reason=reason)
    extensions.received(order)
    return order


@transaction.atomic
def settle(order_id: int) -> Order | None:
    """Move a completed order's money from clearing to the brand and the platform fee."""
    order = lock_order(order_id)
    if order.status != OrderStatus.COMPLETED or order.settled_at is not None:
        return None
    if order.completed_at + extensions.settlement_delay(order) > clock.now():
        return None  # still frozen
    amounts = settlement_amounts(order)
    goods, shipping, fee = amounts.goods, amounts.shipping, amounts.fee
    commissions = extensions.settlement_commissions(order)
    if partner_flow.is_partner_order(order):  # service-provider mode: profit sharing
        partner_flow.settle(order, goods=goods, shipping=shipping, fee=fee, commissions=commissions)
    elif goods + shipping > 0:
        ledger.record_order_settlement(
            order_reference=order.reference,
            brand=order.brand_id,
            goods_amount=goods,
            shipping_amount=shipping,
            platform_fee=fee,
            commissions=commissions,
            idempotency_key=f"settle:{order.pk}",
        )
    order.settled_at = clock.now()
    order.settled_brand_amount = goods - fee - sum(commissions.values()) + shipping
    order.settled_fee = fee
    order.save(update_fields=["settled_at", "settled_brand_amount", "settled_fee"])
    extensions.settled(order)
    return order
