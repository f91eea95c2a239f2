"""RFM for the demo's members: every demo consumer has bought, so the members list shows scores
from real orders, not "000" for everyone who never ordered."""

import pytest

from fenxiao.crm.models import Member
from fenxiao.crm.segments import compute_rfm
from fenxiao.web.demo import seed

pytestmark = pytest.mark.django_db


def test_demo_members_have_rfm_scores_from_their_orders():
    seed(out=lambda _line: None)
    members = list(Member.objects.filter(consumer__phone__startswith="1370000"))
    paid = [m for m in members if m.order_count]
    assert all(m.rfm_r and m.rfm_f and m.rfm_m for m in paid), [(m.pk, m.rfm) for m in paid]
    consumers_who_paid = {m.consumer_id for m in paid}
    assert len(consumers_who_paid) >= 15  # of the 20 demo consumers: all but the unpaid stage
    assert len({m.rfm for m in paid}) >= 3  # a spread of scores, not one value
    before = {m.pk: m.rfm for m in members}
    compute_rfm()
    assert {m.pk: m.rfm for m in Member.objects.filter(pk__in=before)} == before  # not stale
