"""Console JSON API for the catalog (session-authenticated brand staff).  Money is integer fen.

Same services as the console pages, so the same rules: 404 for another brand's objects,
403 when the role lacks the permission, 400 with readable messages for bad input.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from fenxiao.accounts.roles import Perm
from fenxiao.accounts.selectors import require_brand_permission

from . import selectors, services
from .models import Product, Sku

router = Router(tags=["console: catalog"], auth=django_auth)


class SkuIn(Schema):
    spec_values: dict[str, str] = {}
    retail_price: int = Field(..., description="fen")
    price_min: int | None = Field(None, description="fen; defaults to the retail price")
    price_max: int | None = Field(None, description="fen; defaults to the retail price")
    stock: int = 0
    barcode: str = ""
    weight_grams: int = 0


class SkuOut(Schema):
    id: int
    spec_values: dict
    retail_price: int
    price_min: int
    price_max: int
    stock: int
    barcode: str
    weight_grams: int


class ProductIn(Schema):
    title: str = Field(..., min_length=1, max_length=120)
    subtitle: str = ""
    description: str = ""
    category_id: int | None = None
    spec_names: list[str] = []
    distribution_enabled: bool = True
    skus: list[SkuIn]


class ProductPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=120)
    subtitle: str | None = None
    description: str | None = None
    distribution_enabled: bool | None = None


class ProductOut(Schema):
    id: int
    title: str
    subtitle: str
    description: str
    status: str
    category_id: int | None
    spec_names: list
    distribution_enabled: bool
    min_retail_price: int
    total_stock: int
    skus: list[SkuOut]

    @staticmethod
    def resolve_skus(obj: Product) -> list[Sku]:
        return [s for s in obj.skus.all() if s.is_active]


class SkuPatch(Schema):
    stock: int | None = None
    retail_price: int | None = None
    price_min: int | None = None
    price_max: int | None = None


class StatusIn(Schema):
    status: str


class ErrorOut(Schema):
    message: str
    errors: list[str] = []


def _actor(request: HttpRequest, brand_id: int, permission: str):
    return require_brand_permission(request.user, brand_id, permission)


def _run(fn):
    """Translate service exceptions into the API's error responses."""
    try:
        return fn()
    except ValidationError as exc:
        return Status(400, {"message": " ".join(exc.messages), "errors": exc.messages})
    except PermissionDenied as exc:
        return Status(403, {"message": str(exc) or "Forbidden", "errors": []})
    except (Product.DoesNotExist, Sku.DoesNotExist) as exc:
        raise Http404(str(exc)) from exc


def _load(brand_id: int, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id, brand_id=brand_id).prefetch_related("skus").first()
    if product is None:
        raise Http404("No such product in this brand.")
    return product


@router.get("/brands/{brand_id}/products", response=list[ProductOut])
def list_products(
    request: HttpRequest, brand_id: int, q: str = "", status: str = "", limit: int = 50, offset: int = 0
):
    _actor(request, brand_id, Perm.CATALOG_VIEW)
    limit = max(1, min(limit, 200))
    return list(
        selectors.brand_products(brand_id, q=q, status=status).prefetch_related("skus")[
            offset : offset + limit
        ]
    )


@router.post("/brands/{brand_id}/products", response={201: ProductOut, 400: ErrorOut, 403: ErrorOut})
def create_product(request: HttpRequest, brand_id: int, payload: ProductIn):
    actor = _actor(request, brand_id, Perm.CATALOG_VIEW)

    def create():
        from .models import Category

        category = Category.objects.filter(pk=payload.category_id).first() if payload.category_id else None
        if payload.category_id and category is None:
            raise ValidationError("Unknown category.")
        product = services.create_product(
            actor=actor,
            title=payload.title,
            subtitle=payload.subtitle,
            description=payload.description,
            category=category,
            spec_names=payload.spec_names,
            distribution_enabled=payload.distribution_enabled,
            skus=[services.SkuInput(**sku.dict()) for sku in payload.skus],
        )
        return Status(201, _load(brand_id, product.pk))

    return _run(create)


@router.get("/brands/{brand_id}/products/{product_id}", response=ProductOut)
def get_product(request: HttpRequest, brand_id: int, product_id: int):
    _actor(request, brand_id, Perm.CATALOG_VIEW)
    return _load(brand_id, product_id)


@router.patch(
    "/brands/{brand_id}/products/{product_id}", response={200: ProductOut, 400: ErrorOut, 403: ErrorOut}
)
def patch_product(request: HttpRequest, brand_id: int, product_id: int, payload: ProductPatch):
    actor = _actor(request, brand_id, Perm.CATALOG_VIEW)
    fields = {k: v for k, v in payload.dict().items() if v is not None}

    def update():
        services.update_product(actor=actor, product_id=product_id, **fields)
        return Status(200, _load(brand_id, product_id))

    return _run(update)


@router.post(
    "/brands/{brand_id}/products/{product_id}/status",
    response={200: ProductOut, 400: ErrorOut, 403: ErrorOut},
)
def set_status(request: HttpRequest, brand_id: int, product_id: int, payload: StatusIn):
    actor = _actor(request, brand_id, Perm.CATALOG_VIEW)

    def change():
        services.set_product_status(actor=actor, product_id=product_id, status=payload.status)
        return Status(200, _load(brand_id, product_id))

    return _run(change)


@router.patch("/brands/{brand_id}/skus/{sku_id}", response={200: SkuOut, 400: ErrorOut, 403: ErrorOut})
def patch_sku(request: HttpRequest, brand_id: int, sku_id: int, payload: SkuPatch):
    actor = _actor(request, brand_id, Perm.CATALOG_VIEW)

    def change():
        services.bulk_update_skus(actor=actor, changes=[services.SkuChange(sku_id=sku_id, **payload.dict())])
        return Status(200, Sku.objects.get(pk=sku_id, brand_id=brand_id))

    return _run(change)
