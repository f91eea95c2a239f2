"""Scenes for after-sales tests: a paid order (optionally through a distributor), photos."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fenxiao.accounts.models import BrandStaff, User
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.distribution import services as distribution
from fenxiao.distribution.tests.factories import distributor_of
from fenxiao.trade import fulfilment
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout


@dataclass
class Scene:
    sku: Sku
    owner: BrandStaff
    service: BrandStaff
    consumer: User
    distributor: User | None
    order: Order

    @property
    def line(self):
        return self.order.lines.get()

    def ship(self) -> None:
        fulfilment.ship(actor=self.owner, order_id=self.order.pk, carrier="顺丰", tracking_no="SF100")
        self.order.refresh_from_db()

    def complete(self) -> None:
        self.ship()
        fulfilment.confirm_receipt(consumer=self.consumer, order_id=self.order.pk)
        self.order.refresh_from_db()


def scene(
    *,
    quantity: int = 2,
    price: int = 10000,
    stock: int = 20,
    distributor: bool = True,
    shipping: int = 0,
    freeze_days: int = 7,
) -> Scene:
    sku = SkuFactory(retail_price=price, stock=stock)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    service = BrandStaffFactory(brand=sku.brand, role=BrandRole.CUSTOMER_SERVICE)
    consumer = UserFactory()
    dist_user = None
    program = distribution.program_for(sku.brand)
    program.level1_bps, program.freeze_days = 1000, freeze_days
    program.save()
    if distributor:
        dist_user = distributor_of(sku.brand).distributor
        distribution.record_visit(
            link=distribution.share_link(distributor=dist_user, brand=sku.brand), visitor=consumer
        )
    if shipping:
        from fenxiao.trade.models import ShippingRule

        ShippingRule.objects.create(brand=sku.brand, flat_fee=shipping)
    address = AddressFactory(consumer=consumer)
    checkout = place_order(consumer=consumer, address_id=address.pk, items=[(sku.pk, quantity)])
    pay_checkout(checkout)
    return Scene(sku, owner, service, consumer, dist_user, checkout.orders.get())


def photo(name: str = "photo.png", color: str = "red") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")
