"""Checkout: one order per brand under one payment, stock reserved with a conditional UPDATE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fenxiao.catalog.models import Product, Sku
from fenxiao.catalog.stock_events import stock_changed
from fenxiao.core import clock
from fenxiao.core.events import publish
from fenxiao.core.sql import as_saved, dt, is_postgres, lock_rows
from fenxiao.payments.models import Payment
from fenxiao.payments.services import PaymentError, create_payment

from . import extensions, pricing
from .cart import buyable_skus, check_buyable, check_quantity
from .conf import unpaid_timeout
from .errors import TradeError
from .extensions import Attribution
from .models import Address, CartItem, Checkout, Order, OrderLine

PAYMENT_PURPOSE = "checkout"


def _take_sql(
    table: str, column: str, amounts: dict[int, int], *, locked: str = "locked", when: str = ""
) -> tuple:
    """The SQL of :func:`_take`: the locking CTE (named ``locked``, its rows also filtered by
    ``when``) and the conditional UPDATE, with their parameters."""
    case = "CASE id " + " ".join("WHEN %s THEN %s" for _ in amounts) + " END"
    case_params = [value for pair in amounts.items() for value in pair]
    ids = ", ".join(["%s"] * len(amounts))
    lock = f"{locked} AS MATERIALIZED (SELECT id FROM {table} WHERE id IN ({ids}){when} ORDER BY id{lock_rows()})"
    update = (
        f"UPDATE {table} SET {column} = {column} - {case}"
        f" WHERE id IN (SELECT id FROM {locked}) AND {column} >= {case} RETURNING id, {column}"
    )
    return lock, list(amounts), update, [*case_params, *case_params]


def _take(table: str, column: str, amounts: dict[int, int]) -> dict[int, int]:
    """``column -= amount`` for every ``{id: amount}`` of ``table`` whose ``column`` still holds
    the amount, in ONE statement; returns ``{id: what is left}`` of the rows taken from.  The rows are locked first in id
    order (PostgreSQL), so two checkouts sharing rows never deadlock whatever their line order; a
    row changed meanwhile is rechecked under its lock, so the condition holds when it is written."""
    lock, lock_params, update, update_params = _take_sql(table, column, amounts)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {lock} {update}", [*lock_params, *update_params])
        return dict(cursor.fetchall())


def _take_skus_and_products(per_sku: dict[int, int], per_product: dict[int, int]) -> dict[int, int]:
    """PostgreSQL: :func:`_take` of the SKUs' stock, then of their products' totals, in ONE
    statement (data-modifying ``WITH``); returns ``{sku id: stock left}`` of the SKUs taken from.
    The products are taken only when every SKU was (their locking CTE waits for the count of the
    SKUs' ``UPDATE``), so their rows are locked after all the SKUs', in id order, as the two
    statements did: no deadlock with another checkout, whatever the lines' order."""
    sku_lock, sku_lock_params, sku_update, sku_update_params = _take_sql(Sku._meta.db_table, "stock", per_sku)
    product_lock, product_lock_params, product_update, product_update_params = _take_sql(
        Product._meta.db_table,
        "total_stock",
        per_product,
        locked="products",
        when=" AND (SELECT count(*) FROM taken) = %s",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {sku_lock}, taken AS ({sku_update}), {product_lock}, totals AS ({product_update})"
            " SELECT id, stock FROM taken",
            [
                *sku_lock_params,
                *sku_update_params,
                *product_lock_params,
                len(per_sku),
                *product_update_params,
            ],
        )
        return dict(cursor.fetchall())


def reserve_stock(items: Sequence[tuple[Sku, int]]) -> dict[int, int]:
    """Take each ``(sku, quantity)`` from stock with ONE conditional UPDATE of all the SKUs, or
    fail: a row only changes while enough of it is left (rechecked under its row lock, so two
    buyers can never both take the last unit; the CHECK constraint backs it up), and when any SKU
    was not taken the error names the first such line and what is left — the caller's transaction
    then rolls back the others. The products' total stock follows in one more UPDATE (on
    PostgreSQL in the same statement: :func:`_take_skus_and_products`). Returns
    ``{sku id: stock left}``."""
    taken: dict[int, int] = {}
    per_product: dict[int, int] = {}
    for sku, quantity in items:
        taken[sku.pk] = taken.get(sku.pk, 0) + quantity
        per_product[sku.product_id] = per_product.get(sku.product_id, 0) + quantity
    if not taken:
        return {}
    if is_postgres():
        updated = _take_skus_and_products(taken, per_product)
    else:
        updated = _take(Sku._meta.db_table, "stock", taken)
    for sku, _quantity in items:
        if sku.pk not in updated:
            left = Sku.objects.filter(pk=sku.pk).values_list("stock", flat=True).first() or 0
            raise TradeError(
                _("Only %(stock)d of “%(title)s” left.")
                % {"stock": left, "title": f"{sku.product.title} {sku.spec_label}".strip()}
            )
    if not is_postgres():
        _take(Product._meta.db_table, "total_stock", per_product)
    return updated


def announce_low_stock(lines: Sequence[OrderLine], left: Mapping[int, int]) -> None:
    """``stock.low`` for each SKU these just-reserved lines took under the threshold; ``left`` is
    {sku id: stock left} as :func:`reserve_stock` returned it (no read of the SKUs)."""
    taken: dict[int, Sku] = {}
    quantities: dict[int, int] = {}
    for line in lines:
        taken[line.sku_id] = line.sku
        quantities[line.sku_id] = quantities.get(line.sku_id, 0) + line.quantity
    for sku_id, sku in taken.items():
        stock_changed(
            sku_id=sku_id,
            product_id=sku.product_id,
            brand_id=sku.brand_id,
            before=left[sku_id] + quantities[sku_id],
            after=left[sku_id],
        )


def price_for(
    *, consumer, items: Sequence[tuple[Sku, int]], province: str, options: dict | None = None
) -> tuple[pricing.PricedCheckout, dict[int, Attribution]]:
    """Price ``items`` for ``consumer`` exactly as an order would be: each brand's attribution
    (the distributor's store prices) first, then the pricing pipeline.  The checkout page's
    preview and :func:`place_order` both use this, so what is shown is what is charged."""
    brands = {sku.brand_id: sku.product.brand for sku, _quantity in items}
    # In brand id order: a brand's first attribution may write its program, and concurrent
    # checkouts of the same new brands must wait for those writes in one order (no deadlock).
    attributions: dict[int, Attribution] = {
        brand_id: extensions.attribute(consumer=consumer, brand=brands[brand_id])
        for brand_id in sorted(brands)
    }
    unit_prices = {k: v for a in attributions.values() for k, v in a.unit_prices.items()}
    priced = pricing.price(
        items, consumer=consumer, province=province, unit_prices=unit_prices, options=options
    )
    return priced, attributions


def _remember_lines(order: Order, lines: list[OrderLine]) -> None:
    """Extensions read ``order.lines.all()``: hand them the rows just written, as ``prefetch_related``
    would (a chained ``filter``/``order_by`` still queries the database)."""
    queryset = OrderLine.objects.filter(order=order)
    queryset._result_cache = lines
    queryset._prefetch_done = True
    order._prefetched_objects_cache = {"lines": queryset}


def _insert_checkout(*, consumer, total: int) -> Checkout:
    """PostgreSQL: the checkout's row, pointing already at the id its payment will have (taken
    from the payments' sequence in the same INSERT), so the payment needs no ``UPDATE`` of the
    checkout after it.  The foreign key is checked at commit (Django's are ``DEFERRABLE
    INITIALLY DEFERRED``), when the payment exists; any failure before rolls both back."""
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Checkout._meta.db_table} (consumer_id, total, payment_id, created_at)"
            " VALUES (%s, %s, nextval(pg_get_serial_sequence(%s, 'id')), %s) RETURNING id, payment_id",
            [consumer.pk, total, Payment._meta.db_table, dt(created_at)],
        )
        pk, payment_id = cursor.fetchone()
    return as_saved(
        Checkout(pk=pk, consumer=consumer, total=total, payment_id=payment_id, created_at=created_at)
    )


@transaction.atomic
def place_order(
    *,
    consumer,
    address_id: int | None,
    items: Sequence[tuple[int, int]] | None = None,
    note: str = "",
    options: dict | None = None,
) -> Checkout:
    """Create the orders and the payment for ``items`` ((sku id, quantity) pairs; the consumer's
    cart's ticked lines when omitted).  ``options`` are the buyer's pricing choices (``{"points": {brand_id: n}}``).
    Nothing is written unless everything is valid."""
    address = Address.objects.filter(pk=address_id, consumer=consumer).first() if address_id else None
    if address is None:
        raise TradeError(_("Choose one of your delivery addresses."))
    from_cart = items is None
    if from_cart:
        items = [(ci.sku_id, ci.quantity) for ci in CartItem.objects.filter(consumer=consumer, selected=True)]
    if not items:
        if from_cart and CartItem.objects.filter(consumer=consumer).exists():
            raise TradeError(_("Tick at least one item in your cart."))
        raise TradeError(_("Your cart is empty."))
    merged: dict[int, int] = {}
    for sku_id, quantity in items:
        if not isinstance(quantity, int) or quantity < 1:
            raise TradeError(_("The quantity must be at least 1."))
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    found = buyable_skus(list(merged))  # every line's SKU in one query
    skus = []
    for sku_id, quantity in merged.items():
        sku = check_buyable(found.get(sku_id))
        check_quantity(quantity, sku)
        skus.append((sku, quantity))
    priced, attributions = price_for(
        consumer=consumer, items=skus, province=address.province, options=options
    )
    left = reserve_stock([(line.sku, line.quantity) for o in priced.orders for line in o.lines])
    if is_postgres():
        checkout = _insert_checkout(consumer=consumer, total=priced.total)
    else:
        checkout = Checkout.objects.create(consumer=consumer, total=priced.total)
    now = clock.now()
    for priced_order in priced.orders:
        attribution = attributions[priced_order.brand.pk]
        order = Order.objects.create(
            checkout=checkout,
            consumer=consumer,
            brand=priced_order.brand,
            goods_amount=priced_order.goods,
            discount_amount=priced_order.discount,
            shipping_amount=priced_order.shipping,
            paid_amount=priced_order.total,
            platform_fee_bps=priced_order.brand.platform_fee_bps,
            address=address.snapshot(),
            note=note[:200],
            distributor=attribution.distributor,
            inviter=attribution.inviter,
            created_at=now,
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    sku=line.sku,
                    product_id_snapshot=line.sku.product_id,
                    title=line.sku.product.title,
                    spec_label=line.sku.spec_label,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    discount=line.discount,
                    paid_amount=line.paid,
                )
                for line in priced_order.lines
            ]
        )
        _remember_lines(order, lines)
        announce_low_stock(lines, left)
        extensions.placed(order, priced_order)
        publish(
            "order.created",
            {"order_id": order.pk, "order_no": order.order_no, "brand_id": order.brand_id},
            aggregate=order.reference,
        )
    titles = "、".join(line.sku.product.title for o in priced.orders for line in o.lines)
    try:
        payment = create_payment(
            pk=checkout.payment_id,
            payer=consumer,
            amount=priced.total,
            purpose=PAYMENT_PURPOSE,
            reference=f"checkout:{checkout.pk}",
            description=titles[:120],
            expires_at=now + unpaid_timeout(),
            brand_ids=[o.brand.pk for o in priced.orders],
            brand_amounts={o.brand.pk: o.total for o in priced.orders},
        )
    except PaymentError as exc:  # e.g. brands on different funds flows: nothing is written
        raise TradeError(exc.messages[0]) from exc
    linked = checkout.payment_id is not None  # PostgreSQL: the row points at it already
    checkout.payment = payment
    if not linked:
        checkout.save(update_fields=["payment"])
    if from_cart:
        CartItem.objects.filter(consumer=consumer, sku_id__in=merged).delete()
    return checkout
