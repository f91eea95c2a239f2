"""Statement pages: the brand's finance role sees its own statements and downloads them (CSV,
XLSX), other roles and brands do not; platform staff see every brand's."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.core.models import AuditRecord
from fenxiao.core.testing import fill_route as fill
from fenxiao.core.testing import routes_of_module as routes
from fenxiao.ledger.models import BrandFinanceSetting, BrandStatement, BrandStatementLine, JournalEntry
from fenxiao.ledger.tests.factories import statement

pytestmark = pytest.mark.django_db


def statement_of(brand) -> BrandStatement:
    entry = JournalEntry.objects.create(
        kind="order_settled", reference="order:1", idempotency_key=f"k{brand.pk}"
    )
    s = statement(
        brand,
        opening=100,
        gross=11000,
        platform_fee=200,
        commission=1000,
        settled=9800,
        closing=9900,
        line_count=1,
    )
    BrandStatementLine.objects.create(
        statement=s,
        entry=entry,
        kind="order_settled",
        reference="order:1",
        posted_at=entry.created_at,
        gross=11000,
        platform_fee=200,
        commission=1000,
        amount=9800,
    )
    return s


@pytest.mark.parametrize("route", routes("fenxiao.ledger.console_views"))
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_brand_gets_404_on_every_statement_url(client, route, method):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    stranger = BrandStaffFactory(role=BrandRole.OWNER)
    s = statement_of(owner.brand)
    client.force_login(stranger.user)
    url = fill(route, {"brand_id": owner.brand_id, "statement_id": s.pk})
    assert getattr(client, method)(url, {"statement_cycle": "daily"}).status_code == 404
    assert not BrandFinanceSetting.objects.filter(brand=owner.brand).exists()


def test_a_statement_of_another_brand_is_not_found_in_my_console(client):
    mine = BrandStaffFactory(role=BrandRole.FINANCE)
    theirs = statement_of(BrandStaffFactory(role=BrandRole.OWNER).brand)
    client.force_login(mine.user)
    assert client.get(f"/console/b/{mine.brand_id}/finance/statements/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (BrandRole.OWNER, True),
        (BrandRole.ADMIN, True),
        (BrandRole.FINANCE, True),
        (BrandRole.OPERATIONS, False),
        (BrandRole.CUSTOMER_SERVICE, False),
    ],
)
def test_role_matrix_for_statements(client, role, allowed):
    staff = BrandStaffFactory(role=role)
    s = statement_of(staff.brand)
    client.force_login(staff.user)
    expected = 200 if allowed else 403
    assert client.get(f"/console/b/{staff.brand_id}/finance/statements/").status_code == expected
    assert client.get(f"/console/b/{staff.brand_id}/finance/statements/{s.pk}/").status_code == expected


def test_finance_downloads_csv_and_xlsx_that_add_up(client):
    staff = BrandStaffFactory(role=BrandRole.FINANCE)
    s = statement_of(staff.brand)
    client.force_login(staff.user)
    page = client.get(f"/console/b/{staff.brand_id}/finance/statements/{s.pk}/")
    assert "¥99.00" in page.content.decode()
    csv = client.get(f"/console/b/{staff.brand_id}/finance/statements/{s.pk}/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "order:1" in text and "98.00" in text and "99.00" in text
    xlsx = client.get(f"/console/b/{staff.brand_id}/finance/statements/{s.pk}/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[2][1] == 1.0 and values[9][1] == 99.0  # opening ¥1.00, closing ¥99.00
    assert values[-1][-1] == 98.0  # the settled order's brand part
    assert client.get(f"/console/b/{staff.brand_id}/finance/statements/{s.pk}/?format=pdf").status_code == 404


def test_only_settings_roles_change_the_cycle_and_it_is_audited(client):
    finance = BrandStaffFactory(role=BrandRole.FINANCE)
    owner = BrandStaffFactory(role=BrandRole.OWNER, brand=finance.brand)
    url = f"/console/b/{finance.brand_id}/finance/statements/cycle/"
    client.force_login(finance.user)
    assert client.post(url, {"statement_cycle": "daily"}).status_code == 403
    assert not BrandFinanceSetting.objects.exists()
    client.force_login(owner.user)
    assert client.post(url, {"statement_cycle": "weekly"}).status_code == 302
    assert BrandFinanceSetting.objects.get(brand=finance.brand).statement_cycle == "weekly"
    assert AuditRecord.objects.filter(action="ledger.statement_cycle").count() == 1
    client.post(url, {"statement_cycle": "yearly"})  # not a choice: nothing changes
    assert BrandFinanceSetting.objects.get(brand=finance.brand).statement_cycle == "weekly"


def test_platform_sees_every_brand_and_brand_staff_do_not(client):
    a, b = statement_of(BrandStaffFactory().brand), statement_of(BrandStaffFactory().brand)
    client.force_login(UserFactory(is_staff=True))
    page = client.get("/platform/finance/").content.decode()
    assert a.brand.name in page and b.brand.name in page
    only_a = client.get(f"/platform/finance/?brand={a.brand_id}").content.decode()
    assert b.brand.name not in only_a
    assert client.get(f"/platform/finance/statements/{b.pk}/?format=csv").status_code == 200
    client.force_login(BrandStaffFactory(role=BrandRole.OWNER, brand=a.brand).user)
    assert client.get("/platform/finance/").status_code == 302  # to the admin sign-in
