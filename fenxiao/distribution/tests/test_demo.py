"""The distributor-tools demo: two materials per approved brand (the product one with the
product's picture), the first demo distributor's store decorated; running it twice adds nothing."""

import pytest
from django.core.files.base import ContentFile

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.aftersales.tests.factories import photo
from fenxiao.catalog.models import ProductImage
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.distribution import demo, services
from fenxiao.distribution.models import Material, MaterialImage, StoreDecoration, StoreSection

from .factories import distributor_of

pytestmark = pytest.mark.django_db


def test_demo_materials_and_decoration_are_idempotent():
    sku = SkuFactory()
    image = ProductImage(product=sku.product)
    image.image.save("p.png", ContentFile(photo().read()), save=True)
    member = distributor_of(sku.brand, user=UserFactory(phone="13900000001"))
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=sku.retail_price)
    lines: list[str] = []
    for _ in range(2):
        demo.seed(lines.append)
    assert Material.objects.filter(brand=sku.brand).count() == 2
    assert MaterialImage.objects.count() == 1
    decoration = StoreDecoration.objects.get(distributor=member.distributor)
    assert list(decoration.featured.all()) == [sku.product] and StoreSection.objects.count() == 2
    assert any("2 materials" in line for line in lines)
