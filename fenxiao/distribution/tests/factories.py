from __future__ import annotations

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.distribution import services
from fenxiao.distribution.models import DistributorMembership, DistributorProfile, MembershipStatus


def distributor_of(
    brand, *, user=None, status=MembershipStatus.APPROVED, inviter=None
) -> DistributorMembership:
    user = user or UserFactory()
    DistributorProfile.objects.get_or_create(user=user, defaults={"store_name": f"小店 {user.pk}"})
    services.program_for(brand)
    return DistributorMembership.objects.create(brand=brand, distributor=user, status=status, inviter=inviter)
