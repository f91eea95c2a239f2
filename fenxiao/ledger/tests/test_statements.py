"""Brand settlement statements add up to the ledger to the fen (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.core.money import allocate, apply_bps
from fenxiao.ledger import selectors, services, statements
from fenxiao.ledger.models import (
    AccountCode,
    BrandFinanceSetting,
    BrandStatement,
    BrandStatementLine,
    StatementCycle,
)
from fenxiao.ledger.tests.factories import statement

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime(2026, 3, 1, 9, 0))


class History:
    """Posts a random history through the ledger's own posting functions at chosen times, and
    keeps what each brand is owed at each moment, independently of the ledger."""

    def __init__(self, brands, distributor) -> None:
        self.now = START
        self.brands = brands
        self.distributor = distributor
        self.orders: list[dict] = []
        self.owed: dict[int, list[tuple[datetime, int]]] = {b.pk: [] for b in brands}
        self.n = 0

    def key(self, what: str) -> str:
        self.n += 1
        return f"t:{what}:{self.n}"

    def order(self, brand, goods: int, shipping: int) -> None:
        ref = f"order:{self.key('o')}"
        services.record_payment_received(
            payment_reference=ref, amount=goods + shipping, idempotency_key=self.key("pay")
        )
        commission = apply_bps(goods, 1000)
        if commission:
            services.record_commission_pending(
                order_reference=ref,
                brand=brand,
                user=self.distributor,
                amount=commission,
                idempotency_key=self.key("c"),
            )
        self.orders.append(
            {
                "ref": ref,
                "brand": brand,
                "goods": goods,
                "shipping": shipping,
                "c": commission,
                "settled": None,
            }
        )

    def settle(self, o: dict) -> None:
        fee = apply_bps(o["goods"], 200)
        brand_part = o["goods"] - o["c"] - fee + o["shipping"]
        o["settled"] = {"brand": brand_part, "fee": fee, "c": o["c"]}
        if not o["goods"] + o["shipping"]:
            return  # nothing left to settle: no entry (as trade.fulfilment.settle)
        services.record_order_settlement(
            order_reference=o["ref"],
            brand=o["brand"],
            goods_amount=o["goods"],
            shipping_amount=o["shipping"],
            platform_fee=fee,
            commissions={self.distributor.pk: o["c"]},
            idempotency_key=self.key("s"),
        )
        self.owed[o["brand"].pk].append((self.now, brand_part))

    def refund(self, o: dict, share: int) -> None:
        if o["settled"] is None:  # before settlement: reverse commission pro rata, refund from clearing
            goods_after = o["goods"] * (100 - share) // 100
            keep = o["c"] * goods_after // o["goods"] if o["goods"] else 0
            if o["c"] - keep:
                services.record_commission_reversal(
                    reference=o["ref"],
                    brand=o["brand"],
                    user=self.distributor,
                    amount=o["c"] - keep,
                    idempotency_key=self.key("r"),
                )
            amount = o["goods"] - goods_after
            if amount:
                services.record_refund(
                    refund_reference=o["ref"],
                    brand=o["brand"],
                    amount=amount,
                    settled=False,
                    idempotency_key=self.key("rf"),
                )
            o["goods"], o["c"] = goods_after, keep
            return
        held = o["settled"]
        total = held["brand"] + held["fee"] + held["c"]
        amount = total * share // 100
        if not amount or amount > selectors.balance(AccountCode.GATEWAY_CASH):
            return  # the ledger refuses a refund the provider balance cannot cover (see the report)
        brand_part, fee, commission = allocate(amount, [held["brand"], held["fee"], held["c"]])
        services.record_refund(
            refund_reference=o["ref"],
            brand=o["brand"],
            amount=amount,
            settled=True,
            fee_part=fee,
            commission_parts={self.distributor.pk: commission},
            idempotency_key=self.key("rf"),
        )
        o["settled"] = {
            "brand": held["brand"] - brand_part,
            "fee": held["fee"] - fee,
            "c": held["c"] - commission,
        }
        self.owed[o["brand"].pk].append((self.now, -brand_part))

    def payout(self, brand, share: int) -> None:
        owed = -selectors.balance(AccountCode.BRAND_PAYABLE, brand_id=brand.pk)
        amount = min(owed * share // 100, selectors.balance(AccountCode.GATEWAY_CASH))
        if amount > 0:
            services.record_brand_payout(
                brand=brand, amount=amount, reference=f"payout:{self.n}", idempotency_key=self.key("p")
            )
            self.owed[brand.pk].append((self.now, -amount))

    def owed_before(self, brand_id: int, moment: datetime) -> int:
        return sum(amount for at, amount in self.owed[brand_id] if at < moment)


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["order", "settle", "refund", "payout", "wait"]),
        st.integers(0, 1),
        st.integers(1, 100),
        st.integers(1, 30000),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ACTIONS, st.sampled_from(StatementCycle.values), st.sampled_from(StatementCycle.values))
def test_statements_add_up_to_the_ledger_for_random_histories(actions, cycle_a, cycle_b):
    with transaction.atomic():
        brands = [BrandFactory(), BrandFactory()]
        BrandFinanceSetting.objects.create(brand=brands[0], statement_cycle=cycle_a)
        BrandFinanceSetting.objects.create(brand=brands[1], statement_cycle=cycle_b)
        history = History(brands, UserFactory())
        with mock.patch("django.utils.timezone.now", lambda: history.now):
            for action, which, share, amount in actions:
                brand = brands[which]
                mine = [o for o in history.orders if o["brand"] == brand]
                if action == "order":
                    history.order(brand, goods=amount, shipping=amount % 1000)
                elif action == "settle" and any(o["settled"] is None for o in mine):
                    history.settle(next(o for o in mine if o["settled"] is None))
                elif action == "refund" and mine:
                    history.refund(mine[amount % len(mine)], share)
                elif action == "payout":
                    history.payout(brand, share)
                elif action == "wait":
                    history.now += timedelta(hours=amount % 400)
            end = history.now + timedelta(days=40)
            history.now = end
            statements.generate_due_statements(now=end)
        assert selectors.trial_balance() == 0
        assert selectors.balances_match_lines()
        for brand in brands:
            made = list(BrandStatement.objects.filter(brand=brand).order_by("period_start"))
            if not history.owed[brand.pk] and not made:
                continue
            previous_end = None
            for s in made:
                if previous_end is not None:
                    assert s.period_start == previous_end  # tiles time: no gap, no overlap
                previous_end = s.period_end
                lines = list(s.lines.all())
                assert s.opening + sum(line.amount for line in lines) == s.closing
                assert s.opening + s.settled - s.refunds + s.adjustments - s.payouts == s.closing
                assert s.opening == history.owed_before(brand.pk, statements.local_midnight(s.period_start))
                assert s.closing == history.owed_before(brand.pk, statements.local_midnight(s.period_end))
                assert s.adjustments == 0
            assert made[-1].closing == -selectors.balance(AccountCode.BRAND_PAYABLE, brand_id=brand.pk)
            assert made[-1].period_end <= timezone.localtime(end).date()
        transaction.set_rollback(True)


def test_a_statement_shows_settlement_fee_commission_refund_and_payout_and_is_immutable():
    brand, distributor = BrandFactory(), UserFactory()
    BrandFinanceSetting.objects.create(brand=brand, statement_cycle=StatementCycle.DAILY)
    history = History([brand], distributor)
    with mock.patch("django.utils.timezone.now", lambda: history.now):
        history.order(brand, goods=10000, shipping=1000)
        history.settle(history.orders[0])  # the design brief's example: brand 9800, fee 200, commission 1000
        history.now += timedelta(days=1)
        history.refund(history.orders[0], 30)  # 3300 after settlement: allocate over 9800 / 200 / 1000
        history.payout(brand, 50)
        history.now += timedelta(days=1)
        made = statements.generate_due_statements(now=history.now)
    assert made == 2
    first, second = BrandStatement.objects.filter(brand=brand).order_by("period_start")
    assert (
        first.opening,
        first.gross,
        first.platform_fee,
        first.commission,
        first.settled,
        first.closing,
    ) == (
        0,
        11000,
        200,
        1000,
        9800,
        9800,
    )
    assert (second.opening, second.refunds, second.payouts, second.closing) == (9800, 2940, 3430, 3430)
    assert second.closing == -selectors.balance(AccountCode.BRAND_PAYABLE, brand_id=brand.pk)
    assert [line.kind for line in second.lines.all()] == ["refund", "brand_payout"]
    assert statements.generate_due_statements(now=history.now) == 0  # drawn up once
    with pytest.raises(TypeError):
        first.save()
    with pytest.raises(TypeError):
        BrandStatementLine.objects.filter(statement=second).update(amount=1)
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):  # the database refuses a statement that does not add up
        statement(brand, start=second.period_end, opening=3430, closing=1)


def test_an_open_period_is_not_drawn_up():
    brand = BrandFactory()
    history = History([brand], UserFactory())
    with mock.patch("django.utils.timezone.now", lambda: history.now):
        history.order(brand, goods=5000, shipping=0)
        history.settle(history.orders[0])
        assert statements.generate_due_statements(now=history.now) == 0  # monthly by default, March is open
        today = timezone.localtime(history.now).date()
        with pytest.raises(ValueError, match="not closed"):
            statements.generate_statement(
                brand_id=brand.pk, start=today, end=today + timedelta(days=1), cycle="daily"
            )


def test_period_boundaries():
    from datetime import date

    assert statements.period_start(date(2026, 3, 5), "weekly") == date(2026, 3, 2)  # a Monday
    assert statements.period_end(date(2026, 3, 5), "weekly") == date(2026, 3, 9)
    assert statements.period_end(date(2026, 12, 5), "monthly") == date(2027, 1, 1)
    assert statements.period_end(date(2026, 3, 5), "daily") == date(2026, 3, 6)


def test_the_command_draws_up_closed_periods_with_progress():
    from io import StringIO

    from django.core.management import call_command

    brand = BrandFactory()
    BrandFinanceSetting.objects.create(brand=brand, statement_cycle=StatementCycle.DAILY)
    history = History([brand], UserFactory())
    history.now = timezone.now() - timedelta(days=3)
    with mock.patch("django.utils.timezone.now", lambda: history.now):
        history.order(brand, goods=5000, shipping=0)
        history.settle(history.orders[0])
    out = StringIO()
    call_command("generate_statements", stdout=out)
    assert "/ 3 statements" in out.getvalue() and "drew up 3 statements" in out.getvalue()
    assert BrandStatement.objects.filter(brand=brand).latest("period_start").closing == 4400
