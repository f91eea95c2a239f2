"""The reconciliation page: platform staff only (brand staff 403, anonymous to sign-in), a day
reconciled on demand, a refusal shown with nothing written, a break resolved with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.core import clock
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import JournalEntry
from fenxiao.payments import services
from fenxiao.payments.gateways.sandbox import CHINA
from fenxiao.payments.models import Payment, PaymentStatus, ReconciliationBreak, ReconciliationRun

pytestmark = pytest.mark.django_db
URL = "/platform/finance/reconciliation/"


@pytest.fixture
def day():
    """A payment recorded as paid with us at noon yesterday (China time) that the sandbox never saw."""
    noon = (clock.now().astimezone(CHINA) - timedelta(days=1)).replace(hour=12, minute=0, second=0)
    payment = services.create_payment(
        payer=UserFactory(),
        amount=880,
        purpose="checkout",
        reference="x:1",
        description="d",
        gateway="sandbox",
    )
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.SUCCEEDED, paid_at=noon)
    yield noon.date()
    assert ledger_selectors.trial_balance() == 0


def test_brand_staff_get_403_and_anonymous_signs_in(client, day):
    client.force_login(BrandStaffFactory(role=BrandRole.OWNER).user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"provider": "sandbox", "date": day.isoformat()}).status_code == 403
    assert not ReconciliationRun.objects.exists()
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]


def test_staff_reconcile_see_the_break_and_resolve_it(client, day):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.post(URL, {"provider": "sandbox", "date": day.isoformat()})
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{URL}?run={run.pk}"
    page = client.get(response["Location"]).content.decode()
    brk = ReconciliationBreak.objects.get()
    assert f'id="break-{brk.pk}"' in page and brk.out_no in page and "¥8.80" in page

    again = client.post(URL, {"provider": "sandbox", "date": day.isoformat()})
    assert again.status_code == 400 and "already reconciled" in again.content.decode()
    assert ReconciliationRun.objects.count() == 1

    resolve = f"{URL}breaks/{brk.pk}/resolve/"
    empty = client.post(resolve, {"note": " "})
    assert empty.status_code == 400 and "note is required" in empty.content.decode()
    assert client.post(resolve, {"note": "测试数据，已作废"}).status_code == 302
    brk.refresh_from_db()
    assert brk.resolved and brk.resolved_by == staff and not JournalEntry.objects.exists()
    assert "测试数据，已作废" in client.get(f"{URL}?all=1").content.decode()


def test_bad_input_is_refused_with_a_message(client, day):
    client.force_login(UserFactory(is_staff=True))
    assert client.post(URL, {"provider": "sandbox", "date": "nope"}).status_code == 400
    assert client.post(URL, {"provider": "paypal", "date": day.isoformat()}).status_code == 400
    today = clock.now().astimezone(CHINA).date().isoformat()
    response = client.post(URL, {"provider": "sandbox", "date": today})
    assert response.status_code == 400 and "not final" in response.content.decode()
    assert not ReconciliationRun.objects.exists()
