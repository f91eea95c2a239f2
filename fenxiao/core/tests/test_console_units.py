"""Console forms ask people for percentages and yuan, store basis points and fen, and explain bad
input in words: distribution program and levels (distribution tests), member levels and points
rules, coupons on the marketing overview, the platform fee."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fenxiao.accounts.models import Brand
from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandFactory, BrandStaffFactory, UserFactory
from fenxiao.core.form_fields import PercentField, YuanField, format_percent
from fenxiao.crm.models import LoyaltySettings, MemberLevel
from fenxiao.marketing.models import CouponKind
from fenxiao.marketing.tests.factories import CouponFactory


@pytest.mark.parametrize(
    ("typed", "bps"), [("10", 1000), ("2.5", 250), ("12.25%", 1225), (" 0 ", 0), ("100", 10000)]
)
def test_percent_field_cleans_to_basis_points(typed, bps):
    assert PercentField().clean(typed) == bps
    assert PercentField().clean(format_percent(bps)) == bps  # what the form shows reads back the same


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Enter a percentage"),
        ("-1", "between 0 and 100"),
        ("101", "between 0 and 100"),
        ("1.234", "two decimal"),
    ],
)
def test_percent_field_explains_bad_input(typed, message):
    with pytest.raises(ValidationError, match=message):
        PercentField().clean(typed)


def test_yuan_field_cleans_to_fen_and_explains():
    assert YuanField().clean("12.50") == 1250
    with pytest.raises(ValidationError, match="Enter an amount in yuan"):
        YuanField().clean("1.234")


@pytest.mark.django_db
def test_member_levels_and_points_rules_in_percent(client):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(owner.user)
    url = f"/console/b/{owner.brand_id}/members/levels/"
    client.post(url, {"form": "level", "name": "金卡", "growth_threshold": "2000", "discount_bps": "5"})
    assert MemberLevel.objects.get(brand=owner.brand).discount_bps == 500
    response = client.post(
        url, {"form": "level", "name": "银卡", "growth_threshold": "500", "discount_bps": "五"}
    )
    assert response.status_code == 400 and "Enter a percentage" in response.content.decode()
    assert MemberLevel.objects.filter(brand=owner.brand).count() == 1
    page = client.get(url).content.decode()
    assert "5%" in page and "basis points" not in page
    client.post(
        url,
        {
            "form": "loyalty",
            "points_per_yuan": "1",
            "point_value_fen": "0.02",
            "redeem_cap_bps": "30",
            "expiry_years": "1",
        },
    )
    loyalty = LoyaltySettings.objects.get(brand=owner.brand)
    assert (loyalty.redeem_cap_bps, loyalty.point_value_fen) == (3000, 2)
    response = client.post(
        url,
        {
            "form": "loyalty",
            "points_per_yuan": "1",
            "point_value_fen": "0",
            "redeem_cap_bps": "30",
            "expiry_years": "1",
        },
    )
    assert response.status_code == 400 and "at least ¥0.01" in response.content.decode()


@pytest.mark.django_db
def test_a_percent_coupon_reads_as_a_percentage(client):
    coupon = CouponFactory(kind=CouponKind.PERCENT, percent_bps=1000)
    owner = BrandStaffFactory(brand=coupon.brand, role=BrandRole.OWNER)
    client.force_login(owner.user)
    page = client.get(f"/console/b/{owner.brand_id}/marketing/").content.decode()
    assert "10% off" in page and "bps" not in page


@pytest.mark.django_db
def test_platform_fee_in_percent(client):
    brand = BrandFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/accounts/brand/{brand.pk}/change/"
    page = client.get(url).content.decode()
    assert "Platform fee (%)" in page and 'value="2"' in page  # the default 200 bps
    form = {
        "name": brand.name,
        "slug": brand.slug,
        "company_name": brand.company_name or "x",
        "platform_fee_bps": "40",
        "staff-TOTAL_FORMS": "0",
        "staff-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 200 and "between 0 and 30" in response.content.decode()
    assert Brand.objects.get(pk=brand.pk).platform_fee_bps == 200
