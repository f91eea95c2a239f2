"""Commissions: pending when an order is paid, available after completion + freeze days,
reversed pro rata by refunds (a claw-back after settlement).  Every step is a ledger entry.

The commission base is the paid price of the goods after every discount, without shipping.
Level 1 uses the product's override rate when it has one, else the program's rate; level 2
(when the brand enables it) is the program's level-2 rate on the same base.  The sum never
exceeds the base (database constraint on the program; checked again here).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import F

from fenxiao.core import clock
from fenxiao.core.money import apply_bps
from fenxiao.ledger import services as ledger
from fenxiao.trade import hooks
from fenxiao.trade.attribution import Attribution, register_resolver

from .models import (
    Commission,
    CommissionStatus,
    CustomerBinding,
    DistributionProgram,
    DistributorMembership,
    MembershipStatus,
    ProductCommissionRate,
    StoreSkuPrice,
)
from .services import add_settled_sales, is_active_distributor, program_for, upgrade_level


def attribution_for_order(*, consumer, brand) -> Attribution:
    """Who an order placed now by ``consumer`` at ``brand`` is attributed to, and at what prices."""
    program = program_for(brand)
    if not program.enabled:
        return Attribution()
    now = clock.now()
    binding = CustomerBinding.objects.filter(brand=brand, consumer=consumer).first()
    if binding is None or (binding.expires_at is not None and binding.expires_at <= now):
        distributor_id = (
            consumer.pk
            if program.self_purchase_commission and is_active_distributor(consumer.pk, brand.pk)
            else None
        )
    else:
        distributor_id = binding.distributor_id
    if distributor_id is None or not is_active_distributor(distributor_id, brand.pk):
        return Attribution()
    if distributor_id == consumer.pk and not program.self_purchase_commission:
        return Attribution()
    membership = DistributorMembership.objects.select_related("distributor", "inviter").get(
        brand=brand, distributor_id=distributor_id
    )
    inviter = None
    if (
        program.level2_enabled
        and membership.inviter_id
        and is_active_distributor(membership.inviter_id, brand.pk)
    ):
        inviter = membership.inviter
    prices = dict(
        StoreSkuPrice.objects.filter(distributor_id=distributor_id, sku__brand=brand).values_list(
            "sku_id", "price"
        )
    )
    return Attribution(distributor=membership.distributor, inviter=inviter, unit_prices=prices)


def on_order_paid(order) -> None:
    if order.distributor_id is None:
        return
    program = program_for(order.brand_id)
    lines = list(order.lines.all())
    overrides = dict(
        ProductCommissionRate.objects.filter(
            product_id__in=[line.product_id_snapshot for line in lines]
        ).values_list("product_id", "level1_bps")
    )
    base = sum(line.paid_amount for line in lines)
    tier = (
        DistributorMembership.objects.filter(brand_id=order.brand_id, distributor_id=order.distributor_id)
        .values_list("level__rate_bps", flat=True)
        .first()
    )
    default_rate = tier if tier is not None else program.level1_bps
    level1 = sum(
        apply_bps(line.paid_amount, overrides.get(line.product_id_snapshot, default_rate)) for line in lines
    )
    entries = [(1, order.distributor_id, level1, default_rate)]
    if program.level2_enabled and order.inviter_id:
        entries.append((2, order.inviter_id, apply_bps(base, program.level2_bps), program.level2_bps))
    if sum(amount for _, _, amount, _ in entries) > base:
        raise ValueError("commission would exceed the price paid")
    now = clock.now()
    for level, user_id, amount, rate in entries:
        if amount <= 0:
            continue
        commission, created = Commission.objects.get_or_create(
            order=order,
            level=level,
            defaults={
                "distributor_id": user_id,
                "base_amount": base,
                "rate_bps": rate,
                "amount": amount,
                "created_at": now,
            },
        )
        if created:
            ledger.record_commission_pending(
                order_reference=order.reference,
                brand=order.brand_id,
                user=user_id,
                amount=amount,
                idempotency_key=f"commission:{commission.pk}",
            )


def settlement_commissions(order) -> dict[int, int]:
    return {
        c.distributor_id: c.amount - c.reversed_amount
        for c in Commission.objects.filter(order=order).exclude(status=CommissionStatus.REVERSED)
    }


def after_settlement(order) -> None:
    Commission.objects.filter(order=order, status=CommissionStatus.PENDING).update(
        status=CommissionStatus.AVAILABLE, available_at=clock.now()
    )
    add_settled_sales(order)
    if order.distributor_id:
        upgrade_level(brand_id=order.brand_id, distributor_id=order.distributor_id)


def settlement_delay(order) -> timedelta:
    """Orders that earned commission wait the program's freeze days (refunds in that window
    reverse pending commission instead of clawing back)."""
    if order.distributor_id is None:
        return timedelta(0)
    days = (
        DistributionProgram.objects.filter(brand_id=order.brand_id)
        .values_list("freeze_days", flat=True)
        .first()
    )
    return timedelta(days=days or 0)


def refund_before_settlement(order, refund_amount: int) -> None:
    """Reverse pending commission in proportion to the goods refunded (refunds come off the goods
    first, see ``trade.fulfilment.settlement_amounts``)."""
    goods_before = order.paid_amount - order.shipping_amount - order.refunded_amount
    if goods_before <= 0:
        return
    goods_after = max(0, goods_before - refund_amount)
    for commission in Commission.objects.select_for_update().filter(
        order=order, status=CommissionStatus.PENDING
    ):
        left = commission.amount - commission.reversed_amount
        keep = left * goods_after // goods_before
        part = left - keep
        if part <= 0:
            continue
        ledger.record_commission_reversal(
            reference=order.reference,
            brand=order.brand_id,
            user=commission.distributor_id,
            amount=part,
            idempotency_key=f"commission-reversal:{commission.pk}:{commission.reversed_amount}",
        )
        Commission.objects.filter(pk=commission.pk).update(
            reversed_amount=F("reversed_amount") + part,
            status=CommissionStatus.REVERSED if keep == 0 else CommissionStatus.PENDING,
        )


def clawback(order, parts: dict[int, int]) -> None:
    for commission in Commission.objects.select_for_update().filter(order=order).order_by("level"):
        part = min(parts.get(commission.distributor_id, 0), commission.amount - commission.reversed_amount)
        if part > 0:
            Commission.objects.filter(pk=commission.pk).update(reversed_amount=F("reversed_amount") + part)
            parts[commission.distributor_id] -= part


def register() -> None:
    from fenxiao.catalog.price_display import register_price_source

    register_resolver(attribution_for_order)
    register_price_source(lambda request, product: visitor_store_prices(request, product))
    hooks.register(hooks.ORDER_PAID, on_order_paid)
    hooks.register(hooks.SETTLEMENT_COMMISSIONS, settlement_commissions)
    hooks.register(hooks.AFTER_SETTLEMENT, after_settlement)
    hooks.register(hooks.SETTLEMENT_DELAY, settlement_delay)
    from . import settlement_batch

    hooks.register_batch(settlement_commissions, settlement_batch.settlement_commissions_sql)
    hooks.register_batch(after_settlement, settlement_batch.after_settlement_batch)
    hooks.register_batch(settlement_delay, settlement_batch.settlement_delay_sql)
    hooks.register(hooks.REFUND_BEFORE_SETTLEMENT, refund_before_settlement)
    hooks.register(hooks.CLAWBACK, clawback)


__all__ = ["attribution_for_order", "register", "MembershipStatus"]


def _could_have_store_price(*, brand_id: int, user_id: int) -> bool:
    """Could anyone's store price apply to this signed-in visitor (a member of the brand's
    distributors, or a customer bound to one)?  One statement, written out because the product
    page asks it on every view and the ORM's query building cost more than the query itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DistributorMembership._meta.db_table}"
            " WHERE brand_id = %s AND distributor_id = %s)"
            f" OR EXISTS (SELECT 1 FROM {CustomerBinding._meta.db_table} WHERE brand_id = %s AND consumer_id = %s)",
            [brand_id, user_id, brand_id, user_id],
        )
        return bool(cursor.fetchone()[0])


def visitor_store_prices(request, product) -> dict[int, int]:
    """The product page shows the store price of the distributor this visitor belongs to: its
    binding when signed in, else the share link it arrived through."""
    from .models import ShareLink
    from .pending import pending_code

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        related = _could_have_store_price(brand_id=product.brand_id, user_id=user.pk)
        return dict(attribution_for_order(consumer=user, brand=product.brand).unit_prices) if related else {}
    code = pending_code(request) if hasattr(request, "COOKIES") else None
    link = ShareLink.objects.filter(code=code, brand_id=product.brand_id).first() if code else None
    if link is None or not is_active_distributor(link.distributor_id, product.brand_id):
        return {}
    return dict(
        StoreSkuPrice.objects.filter(distributor_id=link.distributor_id, sku__product=product).values_list(
            "sku_id", "price"
        )
    )
