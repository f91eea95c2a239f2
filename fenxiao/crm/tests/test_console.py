import csv
import io

import pytest
from openpyxl import load_workbook

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.core import clock
from fenxiao.crm import segments
from fenxiao.crm.models import Member, MemberLevel, Segment
from fenxiao.crm.segments import compute_rfm, members_in_segment
from fenxiao.distribution import services as distribution
from fenxiao.distribution.tests.factories import distributor_of

from .factories import LevelFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client):
    owner = BrandStaffFactory(role=BrandRole.OWNER)
    client.force_login(owner.user)
    return owner, f"/console/b/{owner.brand_id}/"


def test_member_list_filters_search_and_pages(client, console):
    owner, base = console
    gold = LevelFactory(brand=owner.brand, name="金卡")
    rich = MemberFactory(brand=owner.brand, consumer__phone="13811112222", total_paid=500_000, level=gold)
    MemberFactory.create_batch(55, brand=owner.brand)
    page = client.get(base + "members/")
    assert page.status_code == 200 and len(page.context["members"]) == 50 and page.context["cursor"]
    second = client.get(base + "members/", {"after": page.context["cursor"]})
    assert len(second.context["members"]) == 6
    assert [m.pk for m in client.get(base + "members/", {"q": "13811112222"}).context["members"]] == [rich.pk]
    assert [m.pk for m in client.get(base + "members/", {"level": gold.pk}).context["members"]] == [rich.pk]
    assert [m.pk for m in client.get(base + "members/", {"min_paid": "5000"}).context["members"]] == [rich.pk]
    bad = client.get(base + "members/", {"min_paid": "12.345"})
    assert bad.status_code == 400 and "two decimal places" in bad.content.decode()


def test_bulk_tag_detail_notes_and_timeline(client, console):
    owner, base = console
    seller = distributor_of(owner.brand).distributor
    consumer = UserFactory()
    distribution.record_visit(
        link=distribution.share_link(distributor=seller, brand=owner.brand), visitor=consumer
    )
    member = Member.objects.get(brand=owner.brand, consumer=consumer)
    assert member.source_distributor == seller and member.source_channel == "link"
    other = MemberFactory(brand=owner.brand)
    response = client.post(base + "members/tag/", {"member": [member.pk, other.pk], "tag": "高潜"})
    assert response.status_code == 302
    assert set(Member.objects.filter(tags__name="高潜").values_list("pk", flat=True)) == {member.pk, other.pk}
    client.post(base + "members/tag/", {"member": [member.pk], "tag": "高潜"})  # idempotent
    assert member.tags.count() == 1
    empty = client.post(base + "members/tag/", {"tag": "x"}, follow=True)
    assert "Choose at least one member" in empty.content.decode()
    detail = client.get(base + f"members/{member.pk}/")
    assert detail.status_code == 200 and detail.context["bound"] == seller
    assert [item.kind for item in detail.context["timeline"]] == ["visit"]
    client.post(base + f"members/{member.pk}/", {"notes": "喜欢绿茶"})
    member.refresh_from_db()
    assert member.notes == "喜欢绿茶"


def test_exports_csv_and_xlsx(client, console):
    owner, base = console
    MemberFactory(
        brand=owner.brand, display_name="=cmd|calc", consumer__phone="13822223333", total_paid=12345
    )
    MemberFactory()  # another brand's member never appears
    response = client.get(base + "members/export/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert (
        len(rows) == 2
        and rows[1][1] == "'=cmd|calc"
        and rows[1][2] == "13822223333"
        and rows[1][6] == "123.45"
    )
    response = client.get(base + "members/export/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 2 and sheet.cell(2, 3).value == "13822223333"


def test_levels_and_points_rules_pages(client, console):
    owner, base = console
    member = MemberFactory(brand=owner.brand, growth=600)
    response = client.post(
        base + "members/levels/",
        {"form": "level", "name": "银卡", "growth_threshold": 500, "discount_bps": "3"},  # percent
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.level.name == "银卡"  # existing members reaching it are upgraded
    dup = client.post(
        base + "members/levels/", {"form": "level", "name": "银卡", "growth_threshold": 9, "discount_bps": 0}
    )
    assert dup.status_code == 400 and MemberLevel.objects.count() == 1
    too_much = client.post(
        base + "members/levels/",
        {"form": "level", "name": "X", "growth_threshold": 9, "discount_bps": "100.01"},
    )
    assert too_much.status_code == 400
    saved = client.post(
        base + "members/levels/",
        {
            "form": "loyalty",
            "points_per_yuan": 3,
            "point_value_fen": "0.01",  # yuan
            "redeem_cap_bps": "20",  # percent
            "expiry_years": 1,
        },
    )
    assert saved.status_code == 302 and owner.brand.loyalty.points_per_yuan == 3
    assert owner.brand.loyalty.redeem_cap_bps == 2000 and MemberLevel.objects.get().discount_bps == 300


def test_segments_saved_from_filters_and_rfm(client, console):
    owner, base = console
    now = clock.now()
    from datetime import timedelta

    loyal = MemberFactory(
        brand=owner.brand, order_count=12, total_paid=600_000, last_order_at=now - timedelta(days=3)
    )
    lapsed = MemberFactory(
        brand=owner.brand, order_count=1, total_paid=5_000, last_order_at=now - timedelta(days=400)
    )
    MemberFactory(brand=owner.brand)
    compute_rfm(owner.brand_id)
    loyal.refresh_from_db()
    lapsed.refresh_from_db()
    assert (loyal.rfm, lapsed.rfm) == ("555", "111")
    response = client.post(
        base + "members/segments/", {"name": "高价值", "min_paid": "2000", "ordered_within_days": 30}
    )
    assert response.status_code == 302
    segment = Segment.objects.get(name="高价值")
    assert list(members_in_segment(segment)) == [loyal]
    idle = segments.save_segment(actor=owner, name="沉睡", filters={"not_ordered_days": 180})
    assert set(members_in_segment(idle)) == {lapsed, Member.objects.get(order_count=0)}
    listing = client.get(base + "members/segments/")
    assert [(s.name, n) for s, n in listing.context["segments"]] == [("沉睡", 2), ("高价值", 1)]
    assert [m.pk for m in client.get(base + "members/", {"segment": segment.pk}).context["members"]] == [
        loyal.pk
    ]
    with pytest.raises(Exception, match="Unknown filter"):
        segments.save_segment(actor=owner, name="坏", filters={"raw_sql": "1"})


def test_pages_speak_chinese(client, console):
    owner, base = console
    MemberFactory(brand=owner.brand, consumer__phone="13833334444")
    page = client.get(base + "members/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "给所选会员打标签" in page and "Tag selected members" not in page
    levels = client.get(base + "members/levels/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "积分规则" in levels
