from __future__ import annotations

import pytest
from django.utils import timezone

from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.distribution.models import Commission, MembershipStatus
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import make_app


def build_brand(name: str) -> dict:
    """A brand with an app holding every scope, a product, a paid order, an applicant distributor
    and a commission."""
    sku = SkuFactory(retail_price=2000, price_min=1500, price_max=2500, stock=50)
    brand = sku.brand
    app, raw = make_app(brand, name=f"ERP {name}")
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 2)])
    pay_checkout(checkout)
    order = checkout.orders.get()
    applicant = distributor_of(brand, status=MembershipStatus.APPLIED)
    earner = distributor_of(brand)
    commission = Commission.objects.create(
        order=order,
        distributor=earner.distributor,
        level=1,
        base_amount=order.goods_amount,
        rate_bps=1000,
        amount=order.goods_amount // 10,
        created_at=timezone.now(),
    )
    return {
        "brand": brand,
        "app": app,
        "key": raw,
        "sku": sku,
        "product": sku.product,
        "order": order,
        "membership": applicant,
        "commission": commission,
    }


@pytest.fixture
def world(db):
    return {"a": build_brand("A"), "b": build_brand("B")}


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()
