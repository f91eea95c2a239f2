import re

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.core.form_fields import format_percent
from fenxiao.core.money import format_yuan
from fenxiao.core.testing import fill_route, routes_of_module
from fenxiao.distribution import services, withdrawals
from fenxiao.distribution.models import (
    DistributionProgram,
    DistributorLevel,
    MembershipStatus,
    Withdrawal,
    WithdrawalStatus,
)
from fenxiao.ledger import services as ledger

from .factories import distributor_of

pytestmark = pytest.mark.django_db
CONSOLE = "fenxiao.distribution.console_views"


@pytest.fixture
def other_brand():
    """Brand B with an applicant, a withdrawal and a bound customer."""
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    applicant = distributor_of(owner.brand, status=MembershipStatus.APPLIED)
    member = distributor_of(owner.brand)
    member.distributor.distributor.store_name = "乙品牌的分销商"
    member.distributor.distributor.save()
    services.record_visit(
        link=services.share_link(distributor=member.distributor, brand=owner.brand),
        visitor=UserFactory(phone="13599998888"),
    )
    ledger.record_payment_received(payment_reference="x", amount=50000, idempotency_key="x")
    ledger.record_commission_pending(
        order_reference="o", brand=owner.brand, user=member.distributor, amount=20000, idempotency_key="cp"
    )
    ledger.record_order_settlement(
        order_reference="o",
        brand=owner.brand,
        goods_amount=50000,
        shipping_amount=0,
        platform_fee=0,
        commissions={member.distributor_id: 20000},
        idempotency_key="s",
    )
    withdrawal = withdrawals.request_withdrawal(
        distributor=member.distributor, brand=owner.brand, amount=10000
    )
    return {
        "owner": owner,
        "applicant": applicant,
        "withdrawal": withdrawal,
        "values": {"brand_id": owner.brand_id, "membership_id": applicant.pk, "withdrawal_id": withdrawal.pk},
    }


def test_routes_are_listed():
    assert len(routes_of_module(CONSOLE)) >= 6


@pytest.mark.parametrize("route", routes_of_module(CONSOLE))
@pytest.mark.parametrize("method", ["get", "post"])
def test_brand_a_never_reaches_brand_b(client, other_brand, route, method):
    staff_a = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(staff_a.user)
    for values in (other_brand["values"], {**other_brand["values"], "brand_id": staff_a.brand_id}):
        response = getattr(client, method)(
            fill_route(route, values), {"action": "approve", "level1_bps": 9999}
        )
        body = response.content.decode() if response.status_code == 200 else ""
        assert "乙品牌的分销商" not in body and "13599998888" not in body
        if values["brand_id"] == other_brand["owner"].brand_id or "_id>" in route.replace("brand_id>", ""):
            assert response.status_code in (404, 405), (route, method, response.status_code)
    other_brand["applicant"].refresh_from_db()
    assert other_brand["applicant"].status == MembershipStatus.APPLIED
    assert Withdrawal.objects.get().status == WithdrawalStatus.REQUESTED
    assert DistributionProgram.objects.get(brand=other_brand["owner"].brand).level1_bps != 9999


@pytest.mark.parametrize(
    ("role", "program", "withdrawals_decide"),
    [
        (BrandRole.OWNER, 200, True),
        (BrandRole.OPERATIONS, 200, False),
        (BrandRole.FINANCE, 403, True),
        (BrandRole.CUSTOMER_SERVICE, 403, False),
    ],
)
def test_role_matrix(client, other_brand, role, program, withdrawals_decide):
    staff = (
        other_brand["owner"]
        if role == BrandRole.OWNER
        else BrandStaffFactory(brand=other_brand["owner"].brand, role=role)
    )
    client.force_login(staff.user)
    assert client.get(f"/console/b/{staff.brand_id}/distribution/").status_code == program
    response = client.post(
        f"/console/b/{staff.brand_id}/distribution/withdrawals/{other_brand['withdrawal'].pk}/",
        {"action": "approve"},
    )
    assert response.status_code == (302 if withdrawals_decide else 403)
    assert (Withdrawal.objects.get().status == WithdrawalStatus.PAID) is withdrawals_decide


def test_program_form_refuses_more_than_100_percent(client, other_brand):
    client.force_login(other_brand["owner"].user)
    data = _program_data(other_brand, level1_bps="80", level2_enabled="on", level2_bps="30")
    response = client.post(f"/console/b/{other_brand['owner'].brand_id}/distribution/", data)
    assert response.status_code == 400 and "exceed the price paid" in response.content.decode()


def _program_data(other_brand, **changes) -> dict:
    """The program form as the page shows it (rates in percent, money in yuan), with ``changes``."""
    program = services.program_for(other_brand["owner"].brand_id)
    data = {f: getattr(program, f) for f in services.PROGRAM_FIELDS - {"application_fields"}}
    data.update(
        level1_bps=format_percent(program.level1_bps),
        level2_bps=format_percent(program.level2_bps),
        withdrawal_fee_bps=format_percent(program.withdrawal_fee_bps),
        min_withdrawal=format_yuan(program.min_withdrawal),
    )
    data.update({"q-TOTAL_FORMS": "0", "q-INITIAL_FORMS": "0"})  # the application-form builder's rows
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_program_rates_in_percent_and_money_in_yuan_are_stored_in_bps_and_fen(client, other_brand):
    client.force_login(other_brand["owner"].user)
    url = f"/console/b/{other_brand['owner'].brand_id}/distribution/"
    page = client.get(url).content.decode()
    assert "basis points" not in page and "(fen)" not in page
    data = _program_data(other_brand, level1_bps="12.5", withdrawal_fee_bps="1%", min_withdrawal="20.50")
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(r"<li>([^<]*)</li>", response.content.decode())
    program = DistributionProgram.objects.get(brand=other_brand["owner"].brand)
    assert (program.level1_bps, program.withdrawal_fee_bps, program.min_withdrawal) == (1250, 100, 2050)
    for bad, message in (
        ({"level1_bps": "abc"}, "Enter a percentage"),
        ({"level1_bps": "150"}, "between 0 and 100"),
        ({"level1_bps": "1.234"}, "two decimal places"),
        ({"min_withdrawal": "ten"}, "Enter an amount in yuan"),
    ):
        response = client.post(url, _program_data(other_brand, **bad))
        assert response.status_code == 400 and message in response.content.decode(), bad
    assert DistributionProgram.objects.get(pk=program.pk).level1_bps == 1250


def test_levels_take_a_rate_in_percent(client, other_brand):
    client.force_login(other_brand["owner"].user)
    url = f"/console/b/{other_brand['owner'].brand_id}/distribution/levels/"
    client.post(url, {"name": "金牌", "rate": "12.5", "min_sales": "1000", "min_customers": "3"})
    level = DistributorLevel.objects.get(brand=other_brand["owner"].brand)
    assert (level.rate_bps, level.min_sales, level.min_customers) == (1250, 100000, 3)
    response = client.post(url, {"name": "银牌", "rate": "一成"}, follow=True)
    assert "Enter a percentage" in response.content.decode()
    assert DistributorLevel.objects.filter(brand=other_brand["owner"].brand).count() == 1
    assert "12.5%" in client.get(f"/console/b/{other_brand['owner'].brand_id}/distribution/").content.decode()


def test_approve_applicant_from_console(client, other_brand):
    client.force_login(other_brand["owner"].user)
    client.post(
        f"/console/b/{other_brand['owner'].brand_id}/distribution/distributors/{other_brand['applicant'].pk}/",
        {"action": "approve"},
    )
    other_brand["applicant"].refresh_from_db()
    assert other_brand["applicant"].status == MembershipStatus.APPROVED
