"""Products, SKUs (stock and prices through the catalog services, so the band rules are the
console's), orders (cursor pages) and shipments (through the trade fulfilment service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from fenxiao.catalog import selectors as catalog_selectors
from fenxiao.catalog import services as catalog
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.trade import couriers, fulfilment
from fenxiao.trade import extensions as trade_extensions
from fenxiao.trade import selectors as trade_selectors
from fenxiao.trade.models import Order, OrderStatus

from ..errors import ApiError
from .auth import actor_of, brand_id_of, scoped
from .schemas import ERRORS, decode_cursor, encode_cursor, id_page, page_limit

router = Router()
BIG = 2_000_000_000
Int = Annotated[int, Field(ge=-BIG, le=BIG)]
Count = Annotated[int, Field(ge=0, le=BIG)]
Text = Annotated[str, Field(max_length=200)]


class SkuOut(Schema):
    id: int
    spec_values: dict[str, str]
    retail_price: int = Field(..., description="fen")
    price_min: int = Field(..., description="lowest distributor price, fen")
    price_max: int = Field(..., description="highest distributor price, fen")
    stock: int
    barcode: str
    weight_grams: int
    is_active: bool


class ProductOut(Schema):
    id: int
    title: str
    subtitle: str
    description: str
    status: str
    category_id: int | None
    spec_names: list[str]
    distribution_enabled: bool
    min_retail_price: int
    total_stock: int
    created_at: datetime
    updated_at: datetime
    skus: list[SkuOut]

    @staticmethod
    def resolve_skus(obj: Product) -> list[Sku]:
        return sorted(obj.skus.all(), key=lambda s: s.pk)


class ProductPage(Schema):
    data: list[ProductOut]
    next_cursor: str | None


class SkuIn(Schema):
    spec_values: dict[str, Annotated[str, Field(max_length=40)]] = {}
    retail_price: Int
    price_min: Int | None = None
    price_max: Int | None = None
    stock: Count = 0
    barcode: Text = ""
    weight_grams: Count = 0


class ProductIn(Schema):
    title: str = Field(..., min_length=1, max_length=120)
    subtitle: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    category_id: int | None = None
    spec_names: list[Annotated[str, Field(max_length=20)]] = Field([], max_length=5)
    distribution_enabled: bool = True
    skus: list[SkuIn] = Field(..., min_length=1, max_length=200)


class ProductPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=120)
    subtitle: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=20000)
    distribution_enabled: bool | None = None
    status: ProductStatus | None = None


class StockSet(Schema):
    stock: Count


class StockAdjust(Schema):
    delta: Int = Field(..., description="added to the stock (negative to take away)")


class PriceSet(Schema):
    retail_price: Int
    price_min: Int | None = Field(None, description="defaults to the retail price")
    price_max: Int | None = Field(None, description="defaults to the retail price")


def _product(brand_id: int, product_id: int) -> Product:
    product = catalog_selectors.brand_product(brand_id, product_id)
    if product is None:
        raise ApiError(404, "not_found", "No such product.")
    return product


def _sku(brand_id: int, sku_id: int, *, lock: bool = False) -> Sku:
    sku = catalog_selectors.brand_sku(brand_id, sku_id, lock=lock)
    if sku is None:
        raise ApiError(404, "not_found", "No such SKU.")
    return sku


@router.get("/products", response={200: ProductPage, **ERRORS}, tags=["products"], **scoped("products:read"))
def list_products(
    request: HttpRequest,
    status: ProductStatus | None = None,
    cursor: str | None = None,
    limit: int = 20,
):
    """Products of the app's brand, newest first."""
    return id_page(
        catalog_selectors.brand_products_with_skus(brand_id_of(request), status=status), cursor, limit
    )


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS},
    tags=["products"],
    **scoped("products:read"),
)
def get_product(request: HttpRequest, product_id: int):
    return _product(brand_id_of(request), product_id)


@router.post("/products", response={201: ProductOut, **ERRORS}, tags=["products"], **scoped("products:write"))
def create_product(request: HttpRequest, payload: ProductIn):
    """Create a draft product with its SKUs (prices in fen, checked against the band rules)."""
    category = None
    if payload.category_id is not None:
        category = catalog_selectors.category(payload.category_id)
        if category is None:
            raise ApiError(400, "invalid", "Unknown category.", {"category_id": ["unknown"]})
    product = catalog.create_product(
        actor=actor_of(request),
        title=payload.title,
        subtitle=payload.subtitle,
        description=payload.description,
        category=category,
        spec_names=payload.spec_names,
        distribution_enabled=payload.distribution_enabled,
        skus=[catalog.SkuInput(**sku.dict()) for sku in payload.skus],
    )
    return Status(201, _product(brand_id_of(request), product.pk))


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS},
    tags=["products"],
    **scoped("products:write"),
)
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch):
    """Change content fields and/or the shelf status (draft, on_sale, off_shelf)."""
    actor = actor_of(request)
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    status = fields.pop("status", None)
    _product(actor.brand_id, product_id)
    if fields:
        catalog.update_product(actor=actor, product_id=product_id, **fields)
    if status:
        catalog.set_product_status(actor=actor, product_id=product_id, status=status)
    return _product(actor.brand_id, product_id)


@router.put("/skus/{sku_id}/stock", response={200: SkuOut, **ERRORS}, tags=["stock"], **scoped("stock:write"))
def set_stock(request: HttpRequest, sku_id: int, payload: StockSet):
    actor = actor_of(request)
    _sku(actor.brand_id, sku_id)
    catalog.bulk_update_skus(actor=actor, changes=[catalog.SkuChange(sku_id=sku_id, stock=payload.stock)])
    return _sku(actor.brand_id, sku_id)


@router.post(
    "/skus/{sku_id}/stock/adjust", response={200: SkuOut, **ERRORS}, tags=["stock"], **scoped("stock:write")
)
def adjust_stock(request: HttpRequest, sku_id: int, payload: StockAdjust):
    """Add (or with a negative delta take away) stock, atomically with concurrent sales."""
    actor = actor_of(request)
    with transaction.atomic():
        sku = _sku(actor.brand_id, sku_id, lock=True)
        new = sku.stock + payload.delta
        if new < 0 or new > BIG:
            raise ApiError(
                400, "invalid", f"Stock would become {new}; it is {sku.stock}.", {"delta": ["out of range"]}
            )
        catalog.bulk_update_skus(actor=actor, changes=[catalog.SkuChange(sku_id=sku_id, stock=new)])
    return _sku(actor.brand_id, sku_id)


@router.put(
    "/skus/{sku_id}/price", response={200: SkuOut, **ERRORS}, tags=["prices"], **scoped("prices:write")
)
def set_price(request: HttpRequest, sku_id: int, payload: PriceSet):
    """Retail price and distributor band; the band must hold 0 < min ≤ retail ≤ max (fen)."""
    actor = actor_of(request)
    _sku(actor.brand_id, sku_id)
    pmin, pmax = payload.price_min, payload.price_max
    catalog.bulk_update_skus(
        actor=actor,
        changes=[
            catalog.SkuChange(
                sku_id=sku_id,
                retail_price=payload.retail_price,
                price_min=payload.retail_price if pmin is None else pmin,
                price_max=payload.retail_price if pmax is None else pmax,
            )
        ],
    )
    return _sku(actor.brand_id, sku_id)


# ---- orders ---------------------------------------------------------------------------------


class OrderLineOut(Schema):
    id: int
    sku_id: int
    product_id: int = Field(..., alias="product_id_snapshot")
    title: str
    spec_label: str
    unit_price: int
    quantity: int
    discount: int
    paid_amount: int
    shipped_quantity: int


class ShipmentOut(Schema):
    id: int
    carrier: str
    tracking_no: str
    shipped_at: datetime


class OrderOut(Schema):
    order_no: str
    status: str
    goods_amount: int
    discount_amount: int
    shipping_amount: int
    paid_amount: int
    refunded_amount: int
    address: dict
    note: str
    distributor_id: int | None
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]

    @staticmethod
    def resolve_lines(obj: Order):
        return sorted(obj.lines.all(), key=lambda line: line.pk)

    @staticmethod
    def resolve_shipments(obj: Order):
        return sorted(obj.shipments.all(), key=lambda s: s.pk)


class OrderPage(Schema):
    data: list[OrderOut]
    next_cursor: str | None = Field(..., description="pass as `cursor` for the next page; null at the end")


class OrderFilters(Schema):
    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_since: datetime | None = Field(None, description="changed status at or after this time")
    cursor: str | None = None
    limit: int = 20


class ShipLine(Schema):
    line_id: int
    quantity: Annotated[int, Field(ge=1, le=100000)]


class ShipIn(Schema):
    carrier: str = Field(
        ...,
        min_length=1,
        max_length=40,
        description="a Kuaidi100 courier code, e.g. shunfeng (docs/shipping.md)",
    )
    tracking_no: str = Field(..., min_length=1, max_length=40)
    lines: list[ShipLine] | None = Field(None, min_length=1, description="omit to ship everything left")


def _order(brand_id: int, order_no: str) -> Order:
    order = trade_selectors.brand_order_by_no(brand_id, order_no)
    if order is None:
        raise ApiError(404, "not_found", "No such order.")
    return order


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ApiError(
            400, "invalid", f"{name} needs a time zone (e.g. Z or +08:00).", {name: ["no time zone"]}
        )
    return value


@router.get("/orders", response={200: OrderPage, **ERRORS}, tags=["orders"], **scoped("orders:read"))
def list_orders(request: HttpRequest, filters: Query[OrderFilters]):
    """Orders newest first, paged by an opaque cursor over (created_at, id): stable while new
    orders arrive."""
    limit = page_limit(filters.limit)
    orders = trade_selectors.brand_order_feed(
        brand_id_of(request),
        status=filters.status,
        created_from=_aware("created_from", filters.created_from),
        created_to=_aware("created_to", filters.created_to),
        updated_since=_aware("updated_since", filters.updated_since),
        before=tuple(decode_cursor(filters.cursor, (datetime, int))) if filters.cursor else None,
    )
    rows = list(orders[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "next_cursor": encode_cursor(rows[-1].created_at, rows[-1].pk) if more else None}


@router.get(
    "/orders/{order_no}", response={200: OrderOut, **ERRORS}, tags=["orders"], **scoped("orders:read")
)
def get_order(request: HttpRequest, order_no: str):
    return _order(brand_id_of(request), order_no)


@router.post(
    "/orders/{order_no}/shipments",
    response={201: OrderOut, **ERRORS},
    tags=["orders"],
    **scoped("shipping:write"),
)
def ship_order(request: HttpRequest, order_no: str, payload: ShipIn):
    """Record a shipment (all that is left, or the given line quantities) of a paid order."""
    actor = actor_of(request)
    order = _order(actor.brand_id, order_no)
    if order.status != OrderStatus.PAID:
        raise ApiError(409, "invalid_state", f"Only a paid order can be shipped; this one is {order.status}.")
    blocked = trade_extensions.ship_blocker(order)  # e.g. a group buy whose group is not complete
    if blocked:
        raise ApiError(409, "invalid_state", blocked)
    if couriers.find(payload.carrier) is None:
        message = couriers.unknown_message(payload.carrier)
        raise ApiError(400, "invalid", message, {"carrier": [message]})
    quantities = None
    if payload.lines is not None:
        quantities = {}
        for line in payload.lines:
            quantities[line.line_id] = quantities.get(line.line_id, 0) + line.quantity
    fulfilment.ship(
        actor=actor,
        order_id=order.pk,
        carrier=payload.carrier,
        tracking_no=payload.tracking_no,
        quantities=quantities,
    )
    return Status(201, _order(actor.brand_id, order_no))
