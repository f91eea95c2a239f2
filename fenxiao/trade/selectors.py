"""Trade reads: a consumer sees only its own orders and addresses; a brand only its own orders; a
distributor only the orders attributed to it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Product, Sku

from . import extensions, pricing
from .cart import buyable_sku, cart_items, check_quantity
from .checkout import price_for
from .errors import TradeError
from .models import Address, CartItem, Order, OrderLine
from .pricing import PricedCheckout

# ---- the one price a visitor sees ------------------------------------------------------------


def _store_prices(request: HttpRequest, products: Iterable[Product]) -> dict[int, int]:
    """{sku id: fen} the store prices of the distributor this visitor is attributed to, at each
    brand of ``products`` (the order extensions' ``visitor_unit_prices``: the binding when signed
    in, else the share link the browser arrived through), asked once per brand."""
    store: dict[int, int] = {}
    asked: set[int] = set()
    for product in products:
        if product.brand_id not in asked:
            asked.add(product.brand_id)
            store.update(extensions.visitor_unit_prices(request, product))
    return store


def visitor_unit_prices(request: HttpRequest, skus: Iterable[Sku]) -> dict[int, int]:
    """{sku id: fen} one unit costs this visitor: the one price every page shows (list, search,
    product page, micro-store, cart) and checkout charges for that unit bought alone.

    The store price of the distributor the visitor is attributed to, clamped into the SKU's band,
    less the per-unit steps of the pricing pipeline (member price), all by
    :func:`pricing.unit_prices`, the pipeline checkout runs.  Order-wide offers (full reduction,
    coupons, points) and deals the buyer asks for (flash sale, group buying) are shown at
    checkout and on their own pages.  The SKUs need their product and brand loaded."""
    skus = list(skus)
    store = _store_prices(request, (sku.product for sku in skus))
    return pricing.unit_prices(skus, consumer=getattr(request, "user", None), store_prices=store)


def visitor_lowest_prices(request: HttpRequest, skus: Iterable[Sku]) -> dict[int, int]:
    """{product id: the lowest :func:`visitor_unit_prices` over the given SKUs of it}."""
    skus = list(skus)
    prices = visitor_unit_prices(request, skus)
    lowest: dict[int, int] = {}
    for sku in skus:
        lowest[sku.product_id] = min(prices[sku.pk], lowest.get(sku.product_id, prices[sku.pk]))
    return lowest


def visitor_listing_prices(request: HttpRequest, products: Iterable[Product]) -> dict[int, int]:
    """{product id: the "from" price a listing shows this visitor}: the lowest
    :func:`visitor_unit_prices` over the product's active SKUs.  A visitor with neither a store
    price nor a member price sees the lowest retail price from the product row (no query);
    otherwise one query reads the SKUs.  The products need their brand loaded."""
    products = list(products)
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated) and not _store_prices(request, products):
        return {p.pk: p.min_retail_price for p in products}
    by_id = {p.pk: p for p in products}
    skus = list(Sku.objects.filter(product_id__in=by_id, is_active=True))
    for sku in skus:
        sku.product = by_id[sku.product_id]
    lowest = visitor_lowest_prices(request, skus)
    return {p.pk: lowest.get(p.pk, p.min_retail_price) for p in products}


def with_listing_prices(request: HttpRequest, products: Iterable[Product]) -> None:
    """Set ``price`` on each of ``products`` (a listing page): :func:`visitor_listing_prices`."""
    products = list(products)
    prices = visitor_listing_prices(request, products)
    for product in products:
        product.price = prices[product.pk]


def _with_lines(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("brand").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def consumer_orders(consumer) -> QuerySet[Order]:
    return _with_lines(Order.objects.filter(consumer=consumer)).order_by("-id")


ORDER_TABS: dict[str, Q] = {
    "all": Q(),
    "unpaid": Q(status="pending_payment"),
    "to_ship": Q(status="paid"),
    "to_receive": Q(status="shipped"),
    "aftersales": Q(),  # orders with an after-sales request: see _with_aftersales
}


def _with_aftersales() -> Q:
    """Orders an after-sales request points at, through the reverse relation the after-sales app
    adds (trade imports no app that reacts to an order; without that app the tab is empty)."""
    if any(rel.name == "aftersale_requests" for rel in Order._meta.related_objects):
        return Q(aftersale_requests__isnull=False)
    return Q(pk__in=[])


def consumer_order_tab(consumer, tab: str) -> QuerySet[Order]:
    """The consumer's orders in one tab of "my orders" (an unknown tab is "all")."""
    wanted = _with_aftersales() if tab == "aftersales" else ORDER_TABS.get(tab, Q())
    orders = Order.objects.filter(consumer=consumer).filter(wanted)
    if tab == "aftersales":
        orders = Order.objects.filter(consumer=consumer, pk__in=orders.values("pk"))
    return _with_lines(orders.select_related("checkout__payment")).order_by("-id")


def attach_pictures(orders: Sequence[Order]) -> None:
    """Give each line of ``orders`` its product's first picture (``line.picture``, a URL or ""),
    in one query whatever the number of orders."""
    lines = [line for order in orders for line in order.lines.all()]
    first = first_pictures({line.product_id_snapshot for line in lines})
    for line in lines:
        line.picture = first.get(line.product_id_snapshot, "")


def consumer_order(consumer, order_id: int) -> Order | None:
    return (
        _with_lines(Order.objects.filter(consumer=consumer, pk=order_id))
        .select_related("checkout__payment")
        .prefetch_related("shipments__tracking_events", "transitions")
        .first()
    )


def brand_orders(
    brand_id: int,
    *,
    q: str = "",
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    orders = Order.objects.filter(brand_id=brand_id)
    if q:
        orders = orders.filter(Q(order_no=q) | Q(address__phone=q) | Q(consumer__phone=q))
    if status:
        orders = orders.filter(status=status)
    tz = timezone.get_current_timezone()
    if date_from:
        orders = orders.filter(created_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        orders = orders.filter(created_at__lte=datetime.combine(date_to, time.max, tz))
    return _with_lines(orders.select_related("consumer")).order_by("-id")


def brand_order(brand_id: int, order_id: int) -> Order | None:
    return (
        _with_lines(Order.objects.filter(brand_id=brand_id, pk=order_id))
        .select_related("checkout__payment")
        .prefetch_related("shipments__tracking_events", "transitions")
        .first()
    )


def distributor_orders(distributor, *, limit: int = 100) -> QuerySet[Order]:
    """Orders attributed to the distributor (with their commissions), newest first."""
    return (
        Order.objects.filter(distributor=distributor)
        .select_related("brand", "consumer")
        .prefetch_related("commissions")
        .order_by("-id")[:limit]
    )


def _with_lines_and_shipments(brand_id: int) -> QuerySet[Order]:
    return Order.objects.filter(brand_id=brand_id).prefetch_related("lines", "shipments")


def brand_order_feed(
    brand_id: int,
    *,
    status: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    updated_since: datetime | None = None,
    before: tuple[datetime, int] | None = None,
) -> QuerySet[Order]:
    """The brand's orders (with lines and shipments) newest first, ordered by (created_at, id)
    so that ``before`` (the created_at and id of the last order seen) pages stably.
    ``updated_since`` keeps the orders that were created or changed status at or after it."""
    orders = _with_lines_and_shipments(brand_id)
    if status:
        orders = orders.filter(status=status)
    if created_from:
        orders = orders.filter(created_at__gte=created_from)
    if created_to:
        orders = orders.filter(created_at__lt=created_to)
    if updated_since:
        orders = orders.filter(
            Q(created_at__gte=updated_since)
            | Q(paid_at__gte=updated_since)
            | Q(shipped_at__gte=updated_since)
            | Q(completed_at__gte=updated_since)
            | Q(cancelled_at__gte=updated_since)
        )
    if before:
        created, last_id = before
        orders = orders.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    return orders.order_by("-created_at", "-id")


def brand_order_by_no(brand_id: int, order_no: str) -> Order | None:
    """One of the brand's orders by its number (with lines and shipments), or None."""
    return _with_lines_and_shipments(brand_id).filter(order_no=order_no).first()


def consumer_addresses(consumer) -> QuerySet[Address]:
    return Address.objects.filter(consumer=consumer)


def consumer_address(consumer, address_id: int) -> Address | None:
    return consumer_addresses(consumer).filter(pk=address_id).first()


def consumer_has_order(consumer, order_id: int) -> bool:
    return Order.objects.filter(pk=order_id, consumer=consumer).exists()


@dataclass
class PricedCart:
    groups: dict[Brand, list[CartItem]]  # each item with ``unit_price``: what checkout will charge
    total: int


def priced_cart(request: HttpRequest) -> PricedCart:
    """The signed-in visitor's cart by brand, each item at its :func:`visitor_unit_prices` (what
    checkout charges a unit before the order-wide offers), and the goods' total."""
    items = list(cart_items(request.user))
    groups: dict[Brand, list[CartItem]] = {}
    for item in items:
        groups.setdefault(item.sku.product.brand, []).append(item)
    unit_prices = visitor_unit_prices(request, [item.sku for item in items])
    for item in items:
        item.unit_price = unit_prices[item.sku_id]
    return PricedCart(
        groups=groups, total=sum(item.unit_price * item.quantity for item in items if item.selected)
    )


def checkout_preview(
    consumer,
    *,
    addresses: list[Address],
    options: dict,
    items: Sequence[tuple[Sku, int]] | None = None,
) -> PricedCheckout | None:
    """``items`` (by default the consumer's cart; "buy now" hands its one SKU) priced exactly as
    placing the order would (shipping to the first of ``addresses``' province), with the buyer's
    ``options`` (points, coupons, a marketing tool); None when there is nothing to price."""
    if items is None:
        items = [(i.sku, i.quantity) for i in cart_items(consumer) if i.selected]
    if not items:
        return None
    province = addresses[0].province if addresses else ""
    return price_for(consumer=consumer, items=items, province=province, options=options)[0]


@dataclass
class BuyNow:
    """The "buy now" confirm page: one SKU and its quantity, never the cart."""

    addresses: list[Address]  # the consumer's own, default first
    address: Address | None  # the one chosen (the default unless the page asked for another)
    sku: Sku | None  # None when the SKU is unknown or not on sale
    quantity: int
    picture: str  # the product's first picture (a URL), or ""
    preview: PricedCheckout | None  # None when the item cannot be bought as asked
    errors: list[str]

    @property
    def order(self) -> pricing.PricedOrder | None:
        return self.preview.orders[0] if self.preview else None

    @property
    def line(self) -> pricing.PricedLine | None:
        return self.preview.orders[0].lines[0] if self.preview else None


def buy_now(consumer, *, sku_id: int | None, quantity: int, address_id: int | None, options: dict) -> BuyNow:
    """What "buy now" would place for ``consumer``: the SKU at ``quantity`` with the buyer's
    ``options``, priced by :func:`checkout_preview` to the chosen address as ``place_order`` charges
    it (``place_order(items=[(sku_id, quantity)])``, the same checks first).  ``address_id`` picks
    one of the consumer's own addresses (another's is ignored: the default is shown).  Writes no
    order, payment, stock or cart row (the pricing is the checkout page's preview)."""
    addresses = list(consumer_addresses(consumer))
    address = next((a for a in addresses if a.pk == address_id), addresses[0] if addresses else None)
    sku, picture, errors = None, "", []
    try:
        if sku_id is None:
            raise TradeError(_("Choose a specification first."))
        sku = buyable_sku(sku_id)
        check_quantity(quantity, sku)
    except TradeError as exc:
        errors = exc.messages
    preview = None
    if sku is not None:
        picture = product_picture(sku.product_id)
        if not errors:
            preview = checkout_preview(
                consumer,
                addresses=[address] if address else [],
                options=options,
                items=[(sku, quantity)],
            )
    return BuyNow(addresses, address, sku, quantity, picture, preview, errors)


def product_picture(product_id: int) -> str:
    """The URL of the product's first picture (its thumbnail when it has one), or ""."""
    return first_pictures({product_id}).get(product_id, "")


def first_pictures(product_ids: set[int]) -> dict[int, str]:
    """{product id: URL of its first picture (the thumbnail when it has one)}, in one query;
    products without a picture are left out."""
    from fenxiao.catalog.models import ProductImage

    first: dict[int, str] = {}
    for image in ProductImage.objects.filter(product_id__in=product_ids).order_by(
        "product_id", "position", "id"
    ):
        if image.product_id not in first:
            first[image.product_id] = (image.thumbnail or image.image).url
    return first
