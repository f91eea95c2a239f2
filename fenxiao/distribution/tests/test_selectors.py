"""Distribution reads: each distributor's selector returns only that distributor's rows, each
brand's only that brand's."""

import pytest

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.distribution import selectors, services
from fenxiao.distribution.models import DistributorNotice, LinkKind, MembershipStatus, Withdrawal
from fenxiao.trade import selectors as trade_selectors
from fenxiao.trade.checkout import place_order
from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

from .factories import distributor_of

pytestmark = pytest.mark.django_db


def _sell(sku, member):
    """A consumer who came through ``member``'s link buys one ``sku``."""
    customer = UserFactory()
    link = services.share_link(distributor=member.distributor, brand=sku.brand)
    services.record_visit(link=link, visitor=customer)
    checkout = place_order(
        consumer=customer, address_id=AddressFactory(consumer=customer).pk, items=[(sku.pk, 1)]
    )
    pay_checkout(checkout)
    return customer


@pytest.fixture
def world():
    """Distributors a and b of one brand, each with a store price, a product link, a customer
    with a paid order, a notice, a withdrawal and an invitee; and a second brand with its own."""
    sku = SkuFactory(retail_price=10000, price_min=9000, price_max=12000, stock=50)
    other_sku = SkuFactory(retail_price=10000, stock=50)
    a, b = distributor_of(sku.brand), distributor_of(sku.brand)
    other = distributor_of(other_sku.brand, user=a.distributor)
    rows = {}
    for member, price in ((a, 11000), (b, 11700)):
        user = member.distributor
        services.set_store_price(distributor=user, sku_id=sku.pk, price=price)
        link = services.share_link(
            distributor=user, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
        )
        DistributorNotice.objects.create(distributor=user, message=f"notice {user.pk}")
        Withdrawal.objects.create(distributor=user, brand=sku.brand, amount=100, requested_at=clock.now())
        invitee = distributor_of(sku.brand, inviter=user)
        rows[user.pk] = {"link": link, "customer": _sell(sku, member), "invitee": invitee}
    other_customer = _sell(other_sku, other)
    return {"sku": sku, "a": a, "b": b, "other": other, "rows": rows, "other_customer": other_customer}


def test_distributor_reads_are_its_own(world):
    a, b, sku = world["a"].distributor, world["b"].distributor, world["sku"]
    mine, theirs = world["rows"][a.pk], world["rows"][b.pk]
    memberships = selectors.memberships_with_wallets(a)
    assert {m.pk for m in memberships} == {world["a"].pk, world["other"].pk}
    assert all(hasattr(m, "wallet") for m in memberships)
    assert [n.distributor_id for n in selectors.distributor_notices(a)] == [a.pk]
    assert [w.distributor_id for w in selectors.distributor_withdrawals(a)] == [a.pk]
    assert selectors.store_prices(a, sku.brand_id) == {sku.pk: 11000}
    assert selectors.picked_products(a, sku.brand_id) == {sku.product}
    assert selectors.picked_products(UserFactory(), sku.brand_id) == set()
    customers = {c.consumer_id for c in selectors.distributor_customers(a)}
    assert customers == {mine["customer"].pk, world["other_customer"].pk}
    assert [m.pk for m in selectors.distributor_invitees(a)] == [mine["invitee"].pk]
    orders = trade_selectors.distributor_orders(a)  # its sales at both its brands, not b's
    assert len(orders) == 2 and {o.distributor_id for o in orders} == {a.pk}
    assert selectors.own_share_link(a, mine["link"].code) == mine["link"]
    assert selectors.own_share_link(a, theirs["link"].code) is None


def test_approved_membership_is_the_distributors_own_and_approved(world):
    a, b, sku = world["a"], world["b"], world["sku"]
    assert selectors.approved_membership(a.distributor, sku.brand_id) == a
    applicant = distributor_of(sku.brand, status=MembershipStatus.APPLIED)
    assert selectors.approved_membership(applicant.distributor, sku.brand_id) is None
    assert selectors.approved_membership(b.distributor, world["other"].brand_id) is None


def test_poster_price_is_the_distributors_lowest_store_price(world):
    a, b, sku = world["a"].distributor, world["b"].distributor, world["sku"]
    assert selectors.poster_price(a, world["rows"][a.pk]["link"]) == 11000
    assert selectors.poster_price(b, world["rows"][b.pk]["link"]) == 11700
    stranger = distributor_of(sku.brand).distributor
    link = services.share_link(
        distributor=stranger, brand=sku.brand, kind=LinkKind.PRODUCT, product=sku.product
    )
    assert selectors.poster_price(stranger, link) == sku.product.min_retail_price
    assert selectors.poster_price(a, services.share_link(distributor=a, brand=sku.brand)) is None


def test_micro_store_lists_only_that_distributors_goods(world):
    a, sku = world["a"].distributor, world["sku"]
    assert selectors.micro_store_items(distributor_id=a.pk, brand_id=sku.brand_id) == [sku]
    assert not selectors.micro_store_items(distributor_id=a.pk, brand_id=world["other"].brand_id)


def test_brand_reads_are_the_brands_own(world):
    sku, other_brand_id = world["sku"], world["other"].brand_id
    rows = {m.distributor_id: m for m in selectors.brand_distributors_with_sales(sku.brand_id)}
    a = rows[world["a"].distributor_id]
    assert (a.sales, a.commission, a.customers) == (11000, 1100, 1)  # not the other brand's sale
    assert world["other"].pk not in {m.pk for m in selectors.brand_memberships(sku.brand_id)}
    assert selectors.brand_membership(other_brand_id, world["a"].pk) is None
    assert {c.order.brand_id for c in selectors.brand_commissions(sku.brand_id)} == {sku.brand_id}
    assert {c.distributor_id for c in selectors.brand_commissions(other_brand_id)} == {
        world["a"].distributor_id
    }
    assert {b.brand_id for b in selectors.brand_bindings(other_brand_id)} == {other_brand_id}
    assert not selectors.brand_withdrawals(other_brand_id)
