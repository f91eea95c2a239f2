from __future__ import annotations

import factory

from fenxiao.accounts.tests.factories import BrandFactory
from fenxiao.catalog.models import Category, Product, ProductStatus, Sku


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分类{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    brand = factory.SubFactory(BrandFactory)
    title = factory.Sequence(lambda n: f"商品 {n}")
    status = ProductStatus.ON_SALE
    spec_names = factory.LazyFunction(lambda: ["规格"])


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    brand = factory.SelfAttribute("product.brand")
    spec_values = factory.Sequence(lambda n: {"规格": f"款式{n}"})
    spec_key = factory.LazyAttribute(lambda o: Sku.make_spec_key(o.spec_values))
    stock = 10
    retail_price = 10000
    price_min = factory.LazyAttribute(lambda o: o.retail_price)
    price_max = factory.LazyAttribute(lambda o: o.retail_price)

    @factory.post_generation
    def refresh_product(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            from fenxiao.catalog.services import refresh_product_summary

            refresh_product_summary(obj.product)
