import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.openapi import demo
from fenxiao.openapi.models import ApiApp

pytestmark = pytest.mark.django_db


def test_demo_app_is_idempotent_and_its_key_works(client):
    BrandStaffFactory(role=BrandRole.OWNER)
    lines: list[str] = []
    first = demo.seed(lines.append)
    second = demo.seed(lines.append)
    assert first.pk == second.pk and ApiApp.objects.count() == 1
    assert demo.DEMO_KEY in lines[0]
    response = client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {demo.DEMO_KEY}")
    assert response.status_code == 200
