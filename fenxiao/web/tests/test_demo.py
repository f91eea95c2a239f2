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
    from fenxiao.catalog.models import ProductImage
    from fenxiao.trade.models import Shipment, TrackingEvent

    assert all(p.images.count() >= 3 for p in Product.objects.all())  # a gallery to swipe
    assert ProductImage.objects.filter(position=2).count() == Product.objects.count()
    shipments = Shipment.objects.count()
    assert shipments and TrackingEvent.objects.values("shipment").distinct().count() == shipments
    for _role, _where, phone in ctx.sign_ins:
        assert client.login(username=phone, password=DEMO_PASSWORD), phone
        client.logout()


@pytest.mark.django_db
def test_the_printed_demo_links_follow_the_port_make_run_serves_on(monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8123")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "http://127.0.0.1:8123/admin/" in printed
    assert ":8000" not in printed
