import pytest

from fenxiao.aftersales import demo
from fenxiao.aftersales.models import AftersaleRequest, Status
from fenxiao.ledger import selectors as ledger
from fenxiao.web.demo import seed as seed_platform


@pytest.mark.django_db
def test_demo_requests_in_several_states_and_idempotent():
    seed_platform(out=lambda _text: None)
    lines: list[str] = []
    demo.seed(lines.append)
    statuses = sorted(AftersaleRequest.objects.values_list("status", flat=True))
    assert statuses == sorted([Status.REQUESTED, Status.APPROVED, Status.DISPUTED])
    demo.seed(lines.append)
    assert AftersaleRequest.objects.count() == 3 and "already there" in lines[-1]
    assert ledger.trial_balance() == 0
