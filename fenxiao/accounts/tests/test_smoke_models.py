import pytest
from django.db import IntegrityError

from fenxiao.accounts.models import User
from fenxiao.accounts.roles import BrandRole, Perm
from fenxiao.accounts.tests.factories import DEFAULT_PASSWORD, BrandStaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_needs_phone_or_email_in_database():
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(phone=None, email=None, password="x")])


def test_factory_user_can_check_password():
    user = UserFactory()
    assert user.check_password(DEFAULT_PASSWORD)


def test_customer_service_cannot_change_prices():
    staff = BrandStaffFactory(role=BrandRole.CUSTOMER_SERVICE)
    assert staff.can(Perm.CATALOG_VIEW)
    assert not staff.can(Perm.CATALOG_PRICE)
