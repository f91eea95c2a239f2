"""The price system: 0 < min <= retail <= max, in fen, enforced by services, forms, API and the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.catalog import services
from fenxiao.catalog.models import Product, Sku
from fenxiao.catalog.services import SkuInput

from .factories import SkuFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operations():
    return BrandStaffFactory(role=BrandRole.OPERATIONS)


def test_band_defaults_to_fixed_retail_price(operations):
    product = services.create_product(
        actor=operations, title="龙井", skus=[SkuInput(retail_price=8900, stock=3)]
    )
    sku = product.skus.get()
    assert (sku.price_min, sku.retail_price, sku.price_max) == (8900, 8900, 8900)
    assert product.min_retail_price == 8900 and product.total_stock == 3


def test_min_above_retail_is_rejected_with_clear_message_and_nothing_saved(operations):
    with pytest.raises(ValidationError) as exc:
        services.create_product(
            actor=operations,
            title="T恤",
            spec_names=["颜色"],
            skus=[
                SkuInput(
                    spec_values={"颜色": "红"}, retail_price=8900, price_min=8000, price_max=9900, stock=1
                ),
                SkuInput(spec_values={"颜色": "蓝"}, retail_price=8900, price_min=9500, stock=1),
            ],
        )
    assert (
        "蓝: the lowest distributor price ¥95.00 must not be above the retail price ¥89.00."
        in exc.value.messages
    )
    assert Product.objects.count() == 0 and Sku.objects.count() == 0


@pytest.mark.parametrize(
    ("retail", "pmin", "pmax", "fragment"),
    [
        (8900, 8900, 8000, "highest distributor price ¥80.00 must not be below"),
        (0, None, None, "retail price must be above"),
        (8900, 0, None, "lowest distributor price must be above"),
    ],
)
def test_other_band_violations(operations, retail, pmin, pmax, fragment):
    with pytest.raises(ValidationError) as exc:
        services.create_product(
            actor=operations,
            title="x",
            skus=[SkuInput(retail_price=retail, price_min=pmin, price_max=pmax, stock=1)],
        )
    assert any(fragment in m for m in exc.value.messages)
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("price_min", 20000), ("price_max", 100), ("price_min", 0), ("stock", -1)],
)
def test_database_enforces_band_and_stock(field, value):
    sku = SkuFactory(retail_price=10000, price_min=9000, price_max=11000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.filter(pk=sku.pk).update(**{field: value})


def test_bulk_update_is_all_or_nothing(operations):
    good = SkuFactory(product__brand=operations.brand, retail_price=1000, stock=5)
    bad = SkuFactory(product__brand=operations.brand, retail_price=1000, stock=5)
    with pytest.raises(ValidationError) as exc:
        services.bulk_update_skus(
            actor=operations,
            changes=[
                services.SkuChange(sku_id=good.pk, stock=50, retail_price=1200, price_max=1500),
                services.SkuChange(sku_id=bad.pk, price_min=2000),
            ],
        )
    assert "¥20.00" in " ".join(exc.value.messages)
    good.refresh_from_db()
    assert (good.stock, good.retail_price) == (5, 1000)


def test_console_form_rejects_price_outside_band(client, operations):
    client.force_login(operations.user)
    response = client.post(
        f"/console/b/{operations.brand_id}/products/new/",
        {
            "title": "测试商品",
            "spec1_name": "颜色",
            "skus-TOTAL_FORMS": "1",
            "skus-INITIAL_FORMS": "0",
            "skus-0-spec1": "红",
            "skus-0-stock": "3",
            "skus-0-retail_price": "89.00",
            "skus-0-price_min": "95",
        },
    )
    assert response.status_code == 400
    assert (
        "the lowest distributor price ¥95.00 must not be above the retail price ¥89.00"
        in response.content.decode()
    )
    assert Product.objects.count() == 0


def test_api_rejects_price_outside_band(client, operations):
    client.force_login(operations.user)
    response = client.post(
        f"/api/console/brands/{operations.brand_id}/products",
        {"title": "x", "skus": [{"retail_price": 8900, "price_max": 100, "stock": 1}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert (
        "highest distributor price ¥1.00 must not be below the retail price ¥89.00"
        in response.json()["message"]
    )
    assert Product.objects.count() == 0


def test_spec_label_follows_the_products_spec_order():
    sku = SkuFactory(product__spec_names=["颜色", "尺码"], spec_values={"尺码": "L", "颜色": "红"})
    loaded = Sku.objects.select_related("product").get(pk=sku.pk)
    assert loaded.spec_label == "红 / L"
