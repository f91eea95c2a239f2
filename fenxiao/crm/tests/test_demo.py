import pytest

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.crm import demo
from fenxiao.crm.models import Member, MemberLevel, PointsEntry

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    brand = BrandFactory()
    for i in range(1, 4):
        UserFactory(phone=f"1370000{i:04d}")
    lines: list[str] = []
    demo.seed(lines.append)
    demo.seed(lines.append)
    assert Member.objects.filter(brand=brand).count() == 3
    assert MemberLevel.objects.filter(brand=brand).count() == 3
    first = Member.objects.get(brand=brand, consumer__phone="13700000001")
    assert first.points_balance == 500 and PointsEntry.objects.filter(member=first).count() == 1
    assert first.level.name == "普通会员"
    assert len(lines) == 2
