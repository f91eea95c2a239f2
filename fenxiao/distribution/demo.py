"""Demo distributor tools on top of the existing demo (``fenxiao.web.demo``); idempotent.

For every approved brand: two materials in its library — one about its first product (with that
product's first picture) and one for a campaign — unless the brand has materials already.  The
first demo distributor's micro-store gets a headline, a featured product and two sections."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from fenxiao.accounts.models import Brand, BrandStatus, User
from fenxiao.catalog.models import Product, ProductStatus
from fenxiao.core.output import line_writer

from .models import Material, MaterialImage, StoreDecoration, StoreSection, StoreSkuPrice


@transaction.atomic
def seed(stdout=None) -> None:
    out = line_writer(stdout)
    for brand in Brand.objects.filter(status=BrandStatus.APPROVED).order_by("id"):
        if Material.objects.filter(brand=brand).exists():
            continue
        product = (
            Product.objects.filter(brand=brand, status=ProductStatus.ON_SALE)
            .prefetch_related("images")
            .order_by("id")
            .first()
        )
        if product is not None:
            material = Material.objects.create(
                brand=brand,
                product=product,
                text=f"【{brand.name}】{product.title} 正品直发，品牌售后保障。喜欢的朋友点我的链接下单～",
            )
            image = product.images.first()
            if image is not None:
                with image.image.open("rb") as source:
                    picture = MaterialImage(material=material)
                    picture.image.save(f"b{brand.pk}-demo.jpg", ContentFile(source.read()), save=True)
        Material.objects.create(
            brand=brand,
            campaign="周末福利",
            text=f"{brand.name} 周末福利：满 199 减 20，新人再领 10 元券。转发给需要的朋友吧！",
        )
        out(f"{brand.name}: 2 materials in the library")
    first = User.objects.filter(phone__startswith="1390000").order_by("phone").first()
    if first is not None and not StoreDecoration.objects.filter(distributor=first).exists():
        decoration = StoreDecoration.objects.create(distributor=first, headline="好物推荐，品牌直发")
        picked = StoreSkuPrice.objects.filter(distributor=first).values_list("sku__product_id", flat=True)
        decoration.featured.set(list(picked[:1]))
        StoreSection.objects.bulk_create(
            [
                StoreSection(
                    distributor=first, title="关于我", body="爱分享好物的宝妈，只推荐自己用过的。", position=0
                ),
                StoreSection(
                    distributor=first,
                    title="售后",
                    body="品牌直接发货、直接售后，有问题随时找我。",
                    position=1,
                ),
            ]
        )
        out("the first demo distributor's store is decorated")
