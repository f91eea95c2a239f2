import pytest

from fenxiao.accounts.models import Brand, BrandStaff, User
from fenxiao.catalog.models import Product
from fenxiao.distribution.models import DistributorMembership
from fenxiao.ledger import selectors as ledger
from fenxiao.trade.models import Order
from fenxiao.web.demo import DEMO_PASSWORD, seed


@pytest.mark.django_db
def test_demo_data_is_complete_and_idempotent(client):
    lines: list[str] = []
    ctx = seed(out=lines.append)
    counts = [
        Model.objects.count() for Model in (User, Brand, BrandStaff, Product, Order, DistributorMembership)
    ]
    seed(out=lines.append)
    assert [
        Model.objects.count() for Model in (User, Brand, BrandStaff, Product, Order, DistributorMembership)
    ] == counts
    assert Brand.objects.filter(status="approved").count() >= 2
    assert all(b.products.count() >= 20 for b in Brand.objects.filter(status="approved"))
    assert BrandStaff.objects.values("role").distinct().count() == 5
    assert User.objects.filter(distributor__isnull=False).count() == 5
    assert User.objects.filter(phone__startswith="1370000").count() == 20
    assert any("product 22/22" in line for line in lines)  # progress is shown
    assert ledger.trial_balance() == 0
    for _role, _where, phone in ctx.sign_ins:
        assert client.login(username=phone, password=DEMO_PASSWORD), phone
        client.logout()
