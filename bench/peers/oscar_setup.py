"""Build the Oscar shop's benchmark catalogue; run with the Oscar environment's python.

    DATABASE_URL=… DJANGO_SETTINGS_MODULE=oscar_shop.settings python oscar_setup.py CUSTOMERS

The same shape as fenxiao's side of bench/peers.py: 5 products, each a parent with 9 variants
(children) in two attributes (颜色 × 尺码), a stock record per variant (¥99.00, stock for the whole
run), one category holding them, a shipping country, and per customer a user, an address and a
signed-in database session.  Prints one JSON line for the load generator.
"""

import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from oscar.apps.address.models import Country, UserAddress  # noqa: E402
from oscar.apps.catalogue.models import (  # noqa: E402
    Category,
    Product,
    ProductAttribute,
    ProductAttributeValue,
    ProductCategory,
    ProductClass,
)
from oscar.apps.partner.models import Partner, StockRecord  # noqa: E402


def main(customers: int) -> None:
    country, _ = Country.objects.update_or_create(
        iso_3166_1_a2="CN",
        defaults={
            "iso_3166_1_a3": "CHN",
            "iso_3166_1_numeric": "156",
            "name": "China",
            "printable_name": "China",
            "is_shipping_country": True,
        },
    )
    partner = Partner.objects.create(name="压测品牌", code="bench")
    product_class = ProductClass.objects.create(
        name="压测商品类型", slug="bench", requires_shipping=True, track_stock=True
    )
    colour = ProductAttribute.objects.create(
        product_class=product_class, name="颜色", code="colour", type="text"
    )
    size = ProductAttribute.objects.create(product_class=product_class, name="尺码", code="size", type="text")
    category = Category.add_root(name="压测类目", slug="bench")
    products = []
    for p in range(5):
        parent = Product.objects.create(
            structure=Product.PARENT,
            product_class=product_class,
            title=f"压测商品 {p}",
            slug=f"bench-product-{p}",
            description="压测用的商品说明。" * 20,
        )
        ProductCategory.objects.create(product=parent, category=category)
        children = []
        for c in ("红", "蓝", "黑"):
            for s in ("S", "M", "L"):
                child = Product.objects.create(
                    structure=Product.CHILD,
                    parent=parent,
                    title=f"压测商品 {p} {c} {s}",
                    slug=f"bench-{p}-{len(children)}",
                )
                ProductAttributeValue.objects.create(attribute=colour, product=child, value_text=c)
                ProductAttributeValue.objects.create(attribute=size, product=child, value_text=s)
                StockRecord.objects.create(
                    product=child,
                    partner=partner,
                    partner_sku=f"bench-{p}-{len(children)}",
                    price_currency="CNY",
                    price=Decimal("99.00"),
                    num_in_stock=10**8,
                )
                children.append(child.pk)
        products.append({"id": parent.pk, "url": parent.get_absolute_url(), "children": children})
    sessions = []
    for i in range(customers):
        user = User.objects.create_user(username=f"buyer{i}", email=f"buyer{i}@bench.example", password=None)
        address = UserAddress.objects.create(
            user=user,
            first_name="压测",
            last_name=f"{i}",
            line1="1 号",
            line4="杭州市",
            state="浙江省",
            postcode="310000",
            country=country,
            phone_number="+8613900000000",
            is_default_for_shipping=True,
        )
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append({"session": store.session_key, "address": address.pk})
    print(json.dumps({"products": products, "category": category.get_absolute_url(), "buyers": sessions}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
