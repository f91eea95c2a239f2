"""Brand A never sees brand B's members, on every CRM route (walked from the URL configuration,
so a new route without a matrix entry fails), and a distributor sees only its own customers."""

import pytest

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandFactory, BrandStaffFactory, UserFactory
from fenxiao.core.testing import fill_route, walk_urls
from fenxiao.crm import members, segments, wechat
from fenxiao.crm.models import DistributorQrCode, Member, MemberTag, Segment
from fenxiao.distribution import services as distribution
from fenxiao.distribution.tests.factories import distributor_of

from .factories import LevelFactory, MemberFactory
from .wechat_helpers import AES_KEY, APPID, SECRET, TOKEN, plain

pytestmark = pytest.mark.django_db
SECRET_PHONE = "13599998888"
SECRET_NAME = "乙品牌的会员"

CONSOLE_ROUTES = {
    # route suffix → permission the role matrix expects
    "members/": 200,
    "members/tag/": 302,
    "members/export/": 200,
    "members/<int:member_id>/": 200,
    "members/levels/": 200,
    "members/segments/": 200,
    "wechat/": 200,
    "wechat/qrcode/": 302,
}
PUBLIC_ROUTES = {
    "crm/member/<int:brand_id>/",
    "crm/d/<int:brand_id>/customers/",
    "crm/d/<int:brand_id>/qrcode/",
    "crm/wechat/<int:brand_id>/",
    "crm/wechat/<int:brand_id>/oauth/",
    "crm/wechat/<int:brand_id>/oauth/callback/",
    "crm/wechat/<int:brand_id>/oauth/link/",
}


def crm_routes() -> list[str]:
    return sorted(
        route
        for route, entry in walk_urls()
        if getattr(entry.callback, "__module__", "").startswith("fenxiao.crm.")
    )


def test_every_route_is_in_a_matrix():
    for route in crm_routes():
        if route.startswith("console/"):
            assert route.split("<int:brand_id>/")[1] in CONSOLE_ROUTES, route
        else:
            assert route in PUBLIC_ROUTES, route


@pytest.fixture
def brand_b():
    owner = BrandStaffFactory(role=BrandRole.OWNER, brand__name="乙品牌")
    seller = distributor_of(owner.brand).distributor
    consumer = UserFactory(phone=SECRET_PHONE, display_name=SECRET_NAME)
    distribution.record_visit(
        link=distribution.share_link(distributor=seller, brand=owner.brand), visitor=consumer
    )
    member = Member.objects.get(brand=owner.brand, consumer=consumer)
    LevelFactory(brand=owner.brand, name="乙金卡")
    members.tag_members(actor=owner, member_ids=[member.pk], tag_name="乙标签")
    segment = segments.save_segment(actor=owner, name="乙分群", filters={"min_paid": 0})
    wechat.save_account(actor=owner, appid=APPID, secret=SECRET, token=TOKEN, aes_key=AES_KEY)
    return {"owner": owner, "member": member, "segment": segment, "seller": seller, "consumer": consumer}


def _values(brand_id, member):
    return {"brand_id": brand_id, "member_id": member.pk}


@pytest.mark.parametrize("route", [r for r in crm_routes() if r.startswith("console/")])
@pytest.mark.parametrize("method", ["get", "post"])
def test_brand_a_console_never_reaches_brand_b(client, brand_b, route, method):
    staff_a = BrandStaffFactory(role=BrandRole.OWNER)
    MemberFactory(brand=staff_a.brand)
    client.force_login(staff_a.user)
    data = {
        "member": [brand_b["member"].pk],
        "tag": "被改",
        "notes": "hacked",
        "name": "偷看",
        "form": "level",
        "growth_threshold": 1,
        "discount_bps": 1,
        "distributor": brand_b["seller"].pk,
        "segment": brand_b["segment"].pk,
        "appid": "wxhacked",
    }
    for values in (
        _values(brand_b["owner"].brand_id, brand_b["member"]),
        _values(staff_a.brand_id, brand_b["member"]),
    ):
        url = fill_route(route, values)
        response = getattr(client, method)(
            url, data if method == "post" else {"segment": brand_b["segment"].pk}
        )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "ignore")
        assert SECRET_PHONE not in text and SECRET_NAME not in text and "乙" not in text, (route, method)
        if values["brand_id"] != staff_a.brand_id or "member_id" in route:
            assert response.status_code in (404, 405), (route, method, response.status_code)
    member = brand_b["member"]
    member.refresh_from_db()
    assert member.notes == "" and set(member.tags.values_list("name", flat=True)) == {"乙标签"}
    assert not MemberTag.objects.filter(tag__name="被改", member=member).exists()
    assert Segment.objects.filter(brand=brand_b["owner"].brand).count() == 1
    assert not brand_b["owner"].brand.member_levels.filter(name="偷看").exists()
    assert brand_b["owner"].brand.wechat_account.appid == APPID


@pytest.mark.parametrize(
    ("role", "members_page", "levels_page", "wechat_page"),
    [
        (BrandRole.OWNER, 200, 200, 200),
        (BrandRole.OPERATIONS, 200, 200, 403),
        (BrandRole.CUSTOMER_SERVICE, 200, 403, 403),
        (BrandRole.FINANCE, 403, 403, 403),
    ],
)
def test_roles(client, role, members_page, levels_page, wechat_page):
    staff = BrandStaffFactory(role=role)
    client.force_login(staff.user)
    base = f"/console/b/{staff.brand_id}/"
    assert client.get(base + "members/").status_code == members_page
    assert client.get(base + "members/export/").status_code == members_page
    assert client.get(base + "members/levels/").status_code == levels_page
    assert client.get(base + "wechat/").status_code == wechat_page


def test_member_centre_shows_only_the_signed_in_consumers_member(client, brand_b):
    brand = brand_b["owner"].brand
    client.force_login(UserFactory())
    page = client.get(f"/crm/member/{brand.pk}/").content.decode()
    assert SECRET_NAME not in page and SECRET_PHONE not in page
    client.force_login(brand_b["consumer"])
    assert client.get(f"/crm/member/{brand.pk}/").context["member"] == brand_b["member"]
    assert client.get("/crm/member/999999/").status_code == 404
    unapproved = BrandFactory(status="pending")
    assert client.get(f"/crm/member/{unapproved.pk}/").status_code == 404


def test_distributor_sees_only_its_own_customers_masked(client, brand_b):
    brand = brand_b["owner"].brand
    rival = distributor_of(brand).distributor
    client.force_login(rival)
    page = client.get(f"/crm/d/{brand.pk}/customers/").content.decode()
    assert SECRET_PHONE not in page and "135****8888" not in page
    client.force_login(brand_b["seller"])
    page = client.get(f"/crm/d/{brand.pk}/customers/").content.decode()
    assert "135****8888" in page and SECRET_PHONE not in page
    other_brand = BrandStaffFactory(role=BrandRole.OWNER).brand
    assert client.get(f"/crm/d/{other_brand.pk}/customers/").status_code == 403
    assert client.post(f"/crm/d/{other_brand.pk}/qrcode/").status_code == 403
    assert not DistributorQrCode.objects.filter(brand=other_brand).exists()


def test_wechat_routes_are_per_brand(client, brand_b):
    brand_a = BrandStaffFactory(role=BrandRole.OWNER).brand
    for route in PUBLIC_ROUTES:
        if "wechat" in route and "link" not in route:
            assert client.get(fill_route(route, {"brand_id": brand_a.pk})).status_code == 404, route
    # a message signed with brand B's token is not accepted at another brand's endpoint
    owner_a = BrandStaffFactory(brand=brand_a, role=BrandRole.OWNER)
    wechat.save_account(actor=owner_a, appid="wx0000000000000001", secret="s", token="tokenOfA", aes_key="")
    query, body = plain("oCross", "subscribe")
    response = client.post(f"/crm/wechat/{brand_a.pk}/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 403
    client.force_login(UserFactory())
    assert client.get(f"/crm/wechat/{brand_a.pk}/oauth/link/").status_code == 302
