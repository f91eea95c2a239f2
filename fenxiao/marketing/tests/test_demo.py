import io

import pytest

from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.marketing import demo
from fenxiao.marketing.models import Coupon, FlashSale, GroupDeal, Promotion

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    first = SkuFactory(stock=50)
    SkuFactory(product__brand=first.brand, stock=50)
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert Coupon.objects.count() == 2 and Promotion.objects.count() == 1
    assert FlashSale.objects.get().sku == first and GroupDeal.objects.get().size == 2
