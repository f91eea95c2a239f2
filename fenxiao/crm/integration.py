"""How the CRM plugs into trade and distribution: pricing adjusters, lifecycle hooks, signals."""

from __future__ import annotations

from django.db.models.signals import post_save

from fenxiao.trade import hooks, pricing

from . import members, points
from .models import Channel


def _register_adjuster(position: int, name: str, fn) -> None:
    if all(existing != name for _, existing, _fn in pricing.ADJUSTERS):
        pricing.register_adjuster(position, name, fn)


def on_refunded(order, amount: int) -> None:
    members.on_refunded(order, amount)
    points.reverse_for_refund(order, amount, f"refund:{order.refunded_amount}+{amount}")


def on_order_saved(sender, instance, created: bool, **kwargs) -> None:
    if created:
        members.on_order_created(instance)


def on_visit_saved(sender, instance, created: bool, **kwargs) -> None:
    if created and instance.visitor_id:
        members.ensure_member(
            brand_id=instance.link.brand_id,
            consumer=instance.visitor,
            channel=Channel.LINK,
            distributor_id=instance.link.distributor_id,
        )


def on_binding_saved(sender, instance, created: bool, **kwargs) -> None:
    if created:
        members.ensure_member(
            brand_id=instance.brand_id,
            consumer=instance.consumer,
            channel=Channel.LINK,
            distributor_id=instance.distributor_id,
        )


def register() -> None:
    from fenxiao.distribution.models import CustomerBinding, Visit
    from fenxiao.trade.models import Order

    _register_adjuster(10, "member_price", points.member_price_adjuster)
    _register_adjuster(40, "points", points.points_adjuster)
    hooks.register(hooks.ORDER_PLACED, points.on_order_placed)
    hooks.register(hooks.ORDER_PAID, members.on_order_paid)
    hooks.register(hooks.REFUNDED, on_refunded)
    post_save.connect(on_order_saved, sender=Order, dispatch_uid="crm.order_created")
    post_save.connect(on_visit_saved, sender=Visit, dispatch_uid="crm.visit_created")
    post_save.connect(on_binding_saved, sender=CustomerBinding, dispatch_uid="crm.binding_created")
