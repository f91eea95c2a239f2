"""One price everywhere: for random visitors and attributions, the shop's list, search, product
page, micro-store and cart each show, for every SKU, the amount checkout charges for one unit of
it (``trade.selectors.visitor_unit_prices``)."""

from __future__ import annotations

import random

import pytest
from django.db import transaction

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.catalog.models import Sku
from fenxiao.catalog.services import refresh_product_summary
from fenxiao.catalog.tests.factories import ProductFactory, SkuFactory
from fenxiao.core.money import format_yuan
from fenxiao.crm.members import ensure_member
from fenxiao.crm.models import Channel, Member, MemberLevel
from fenxiao.distribution import services
from fenxiao.distribution.models import StoreSkuPrice
from fenxiao.distribution.tests.factories import customer_of, distributor_of, program_of
from fenxiao.trade.cart import add_to_cart
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory

pytestmark = pytest.mark.django_db

VISITORS = ("stranger", "bound", "distributor", "anonymous_with_link", "anonymous")


def _world(rng: random.Random) -> dict:
    """A brand with one product of 1–3 SKUs, a distributor with store prices on some of them
    (some left outside a band narrowed since), and perhaps a member discount for consumers."""
    brand = BrandFactory()
    program_of(brand, self_purchase_commission=rng.random() < 0.5)
    product = ProductFactory(brand=brand, title=f"一价商品{rng.randrange(10**6)}")
    skus = []
    for _ in range(rng.randint(1, 3)):
        low = rng.randrange(1000, 9000)
        high = low + rng.randrange(0, 6000)
        skus.append(
            SkuFactory(
                product=product,
                retail_price=rng.randint(low, high),
                price_min=low,
                price_max=high,
                stock=100,
            )
        )
    member = distributor_of(brand)
    for sku in skus:
        if rng.random() < 0.8:
            services.set_store_price(
                distributor=member.distributor, sku_id=sku.pk, price=rng.randint(sku.price_min, sku.price_max)
            )
    for sku in skus:  # the brand narrows a band after the store priced inside the old one
        if rng.random() < 0.4 and sku.price_max > sku.price_min:
            middle = (sku.price_min + sku.price_max) // 2
            Sku.objects.filter(pk=sku.pk).update(
                price_min=middle, price_max=sku.price_max, retail_price=max(middle, sku.retail_price)
            )
    refresh_product_summary(product)
    level = None
    if rng.random() < 0.6:
        level = MemberLevel.objects.create(
            brand=brand, name="金卡", growth_threshold=0, discount_bps=rng.choice([500, 800, 1234, 3333])
        )
    return {
        "brand": brand,
        "product": product,
        "skus": list(Sku.objects.filter(product=product).order_by("id")),
        "member": member,
        "level": level,
        "link": services.share_link(distributor=member.distributor, brand=brand),
    }


def _as_member(world: dict, consumer) -> None:
    ensure_member(brand_id=world["brand"].pk, consumer=consumer, channel=Channel.MANUAL)
    if world["level"] is not None:
        Member.objects.filter(brand=world["brand"], consumer=consumer).update(level=world["level"])


def _visitor(world: dict, kind: str, client):
    """Set the client up as the visitor ``kind``; returns the consumer whose checkout is the
    reference (the visitor, or for an anonymous visitor who it becomes on signing in)."""
    if kind.startswith("anonymous"):  # no member price until signed in: compare with a non-member
        if kind == "anonymous_with_link":
            client.get(f"/s/{world['link'].code}")
        reference = customer_of(world["member"]) if kind == "anonymous_with_link" else UserFactory()
        Member.objects.filter(consumer=reference).update(level=None)
        return reference
    consumer = {
        "stranger": UserFactory,
        "bound": lambda: customer_of(world["member"]),
        "distributor": lambda: world["member"].distributor,
    }[kind]()
    _as_member(world, consumer)
    client.force_login(consumer)
    return consumer


class _Rollback(Exception):
    pass


def _charged(consumer, sku: Sku) -> int:
    """What checkout charges ``consumer`` for one unit of ``sku`` bought alone (the order is
    placed, read and rolled back, so it changes nothing the next question sees)."""
    try:
        with transaction.atomic():
            address = AddressFactory(consumer=consumer)
            order = place_order(consumer=consumer, address_id=address.pk, items=[(sku.pk, 1)]).orders.get()
            raise _Rollback(order.paid_amount - order.shipping_amount)
    except _Rollback as charged:
        return charged.args[0]


def _shows(response, fen: int) -> None:
    assert response.status_code == 200
    assert format_yuan(fen) in response.content.decode()


@pytest.mark.parametrize("seed", range(20))
def test_every_surface_shows_what_checkout_charges(client, seed):
    rng = random.Random(seed)
    world = _world(rng)
    kind = VISITORS[seed % len(VISITORS)] if seed < len(VISITORS) else rng.choice(VISITORS)
    consumer = _visitor(world, kind, client)
    charged = {sku.pk: _charged(consumer, sku) for sku in world["skus"]}
    lowest = min(charged.values())

    page = client.get(f"/shop/p/{world['product'].pk}/")
    detail = page.context["detail"]
    assert {sku.pk: detail.price_of(sku) for sku in detail.skus} == charged
    assert {row["id"]: row["price"] for row in detail.sku_data} == charged
    _shows(page, detail.price_low)

    for url in (f"/shop/b/{world['brand'].slug}/", f"/shop/search/?q={world['product'].title}"):
        listing = client.get(url)
        (shown,) = [p.price for p in listing.context["page"] if p.pk == world["product"].pk]
        assert shown == lowest, url
        _shows(listing, lowest)

    store = client.get(f"/m/{world['link'].code}/")
    picked = StoreSkuPrice.objects.filter(distributor=world["member"].distributor).values_list(
        "sku_id", flat=True
    )
    if picked:
        (item,) = store.context["items"]
        assert item["price"] == min(charged[pk] for pk in picked)
        _shows(store, item["price"])

    if kind.startswith("anonymous"):
        return
    for sku in world["skus"]:
        add_to_cart(consumer=consumer, sku_id=sku.pk, quantity=1)
    cart = client.get("/trade/cart/")
    shown = {item.sku_id: item.unit_price for items in cart.context["groups"].values() for item in items}
    assert shown == charged
    for fen in charged.values():
        _shows(cart, fen)


def test_a_bound_consumer_sees_its_distributors_price_on_the_list_and_the_page(client):
    """The issue's case: a consumer bound to a distributor saw ¥68 on the list and the retail
    range on the product page; both now show the store price checkout charges."""
    sku = SkuFactory(retail_price=9870, price_min=5800, price_max=9870, stock=10)
    member = distributor_of(sku.brand)
    services.set_store_price(distributor=member.distributor, sku_id=sku.pk, price=6800)
    consumer = customer_of(member)
    client.force_login(consumer)
    assert client.get(f"/shop/b/{sku.brand.slug}/").context["page"][0].price == 6800
    assert client.get(f"/shop/p/{sku.product_id}/").context["detail"].price_low == 6800
    assert _charged(consumer, sku) == 6800
