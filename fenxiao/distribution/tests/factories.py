from __future__ import annotations

from datetime import timedelta

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.distribution import services
from fenxiao.distribution.models import (
    DistributionProgram,
    DistributorMembership,
    DistributorProfile,
    MembershipStatus,
)


def distributor_of(
    brand, *, user=None, status=MembershipStatus.APPROVED, inviter=None
) -> DistributorMembership:
    user = user or UserFactory()
    DistributorProfile.objects.get_or_create(user=user, defaults={"store_name": f"小店 {user.pk}"})
    services.program_for(brand)
    return DistributorMembership.objects.create(brand=brand, distributor=user, status=status, inviter=inviter)


def program_of(brand, **fields) -> DistributionProgram:
    """The brand's program with ``fields`` set (saved directly, as a fixture, not through the
    console's checks)."""
    program = services.program_for(brand)
    for key, value in fields.items():
        setattr(program, key, value)
    program.save()
    return program


def customer_of(member: DistributorMembership):
    """A new consumer who signed in and opened the distributor's store link (so is bound to it)."""
    consumer = UserFactory()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=member.brand), visitor=consumer
    )
    return consumer


def earned_distributor(
    *, retail_price: int = 100000, **program_fields
) -> tuple[DistributorMembership, object]:
    """A distributor whose customer bought one unit at ``retail_price``, received it, and whose
    order settled at once (freeze 0 days): (membership, the SKU)."""
    from fenxiao.trade import fulfilment
    from fenxiao.trade.checkout import place_order
    from fenxiao.trade.tests.factories import AddressFactory, pay_checkout

    sku = SkuFactory(retail_price=retail_price, stock=5)
    owner = BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER)
    program_of(sku.brand, freeze_days=0, **program_fields)
    member = distributor_of(sku.brand)
    consumer = customer_of(member)
    checkout = place_order(
        consumer=consumer, address_id=AddressFactory(consumer=consumer).pk, items=[(sku.pk, 1)]
    )
    pay_checkout(checkout)
    order = checkout.orders.get()
    fulfilment.ship(actor=owner, order_id=order.pk, carrier="SF", tracking_no="y")
    fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
    clock.advance(timedelta(seconds=1))
    fulfilment.settle(order.pk)
    return member, sku
