from __future__ import annotations

import pytest
from django.utils import timezone

from fenxiao.aftersales.models import Kind, Reason
from fenxiao.aftersales.services import create_request
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.crm.members import ensure_member
from fenxiao.distribution.models import Commission, MembershipStatus
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import make_app


def _aftersale_request(sku):
    """A refund-only request on a second paid order (through the after-sales service)."""
    address = AddressFactory()
    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 1)])
    pay_checkout(checkout)
    order = checkout.orders.get()
    return create_request(
        consumer=order.consumer,
        order_id=order.pk,
        line_id=None,
        kind=Kind.REFUND_ONLY,
        reason=Reason.CHANGED_MIND,
        amount=order.paid_amount,
    )


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
    aftersale = _aftersale_request(sku)
    member = ensure_member(brand_id=brand.pk, consumer=order.consumer, channel="order")
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
        "aftersale": aftersale,
        "member": member,
    }


@pytest.fixture
def world(db):
    return {"a": build_brand("A"), "b": build_brand("B")}


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.FENXIAO_WEBHOOKS_ALLOW_PRIVATE_HOSTS = True  # the tests' receiver runs on 127.0.0.1


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()
