"""Races (a second request on the same line; a refund racing the order's completion and
settlement) and random after-sales paths that must keep the ledger balanced and commissions
consistent with what was refunded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.tests.factories import UserFactory
from fenxiao.aftersales import services
from fenxiao.aftersales.jobs import auto_approve_requests, auto_receive_returns, close_expired_requests
from fenxiao.aftersales.models import AftersaleRequest, Kind, Status
from fenxiao.catalog.models import Sku
from fenxiao.core import clock
from fenxiao.core.tests.concurrency import run_together
from fenxiao.distribution.models import Commission
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger.models import LedgerAccount
from fenxiao.trade import fulfilment
from fenxiao.trade.models import Order

from .factories import scene


def _commissions_consistent(order: Order, distributor) -> None:
    commissions = list(Commission.objects.filter(order=order))
    for c in commissions:
        assert 0 <= c.reversed_amount <= c.amount
    wallet = ledger.distributor_wallet(brand_id=order.brand_id, user_id=distributor.pk)
    assert wallet["pending"] + wallet["available"] == sum(c.amount - c.reversed_amount for c in commissions)
    if commissions:
        goods = order.paid_amount - order.shipping_amount
        kept = goods - min(order.refunded_amount, goods)
        c = commissions[0]
        # pro rata: what the distributor keeps follows what the consumer kept (±1 fen per refund)
        assert abs((c.amount - c.reversed_amount) - c.amount * kept // goods) <= 2


@pytest.mark.django_db(transaction=True)
def test_two_requests_on_the_same_line_at_once_one_wins_cleanly():
    s = scene(quantity=2)

    def ask():
        services.create_request(
            consumer=s.consumer,
            order_id=s.order.pk,
            line_id=s.line.pk,
            kind=Kind.REFUND_ONLY,
            reason="other",
            amount=5000,
        )

    outcomes = run_together(ask, ask)
    assert outcomes.count("ok") == 1
    (error,) = [o for o in outcomes if o != "ok"]
    assert "already has an open" in error.messages[0]
    assert AftersaleRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("repeat", range(3))
def test_refund_racing_completion_and_settlement_stays_consistent(repeat):
    s = scene(quantity=2, freeze_days=0)
    s.ship()
    request = services.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=s.line.pk,
        kind=Kind.REFUND_ONLY,
        reason="not_received",
        amount=10000,
    )

    def refund():
        services.approve(actor=s.service, request_id=request.pk)

    def complete_and_settle():
        fulfilment.confirm_receipt(consumer=s.consumer, order_id=s.order.pk)
        fulfilment.settle(s.order.pk)

    first, second = (refund, complete_and_settle) if repeat % 2 else (complete_and_settle, refund)
    outcomes = run_together(first, second)
    assert outcomes == ["ok", "ok"], outcomes
    order = Order.objects.get(pk=s.order.pk)
    assert order.refunded_amount == 10000 and order.settled_at is not None
    assert AftersaleRequest.objects.get(pk=request.pk).status == Status.REFUNDED
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()
    _commissions_consistent(order, s.distributor)


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "refund_only",
                "return_refund",
                "exchange",
                "approve",
                "reject",
                "escalate",
                "full",
                "partial",
                "deny",
                "ship_back",
                "receive",
                "ship_exchange",
                "cancel",
                "ship_order",
                "confirm_order",
                "wait",
            ]
        ),
        st.integers(1, 30000),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ACTIONS)
@pytest.mark.django_db
def test_random_aftersales_paths_keep_ledger_and_commissions_consistent(actions):
    clock.reset()
    s = scene(quantity=3, price=10000, freeze_days=1)
    platform = UserFactory(is_staff=True)
    stock_before = Sku.objects.get(pk=s.sku.pk).stock
    for action, number in actions:
        latest = AftersaleRequest.objects.filter(order=s.order).order_by("-id").first()
        rid = latest.pk if latest else 0
        try:
            if action in ("refund_only", "return_refund", "exchange"):
                services.create_request(
                    consumer=s.consumer,
                    order_id=s.order.pk,
                    line_id=s.line.pk,
                    kind=action,
                    reason="other",
                    amount=number,
                    quantity=1 + number % 3,
                )
            elif action == "approve":
                services.approve(actor=s.service, request_id=rid)
            elif action == "reject":
                services.reject(actor=s.service, request_id=rid, note="no")
            elif action == "escalate":
                services.escalate(consumer=s.consumer, request_id=rid)
            elif action in ("full", "partial", "deny"):
                services.arbitrate(staff=platform, request_id=rid, outcome=action, amount=number, note="d")
            elif action == "ship_back":
                services.ship_back(consumer=s.consumer, request_id=rid, carrier="c", tracking_no="t")
            elif action == "receive":
                services.confirm_return(actor=s.service, request_id=rid)
            elif action == "ship_exchange":
                services.ship_exchange(actor=s.service, request_id=rid, carrier="c", tracking_no="t")
            elif action == "cancel":
                services.cancel(consumer=s.consumer, request_id=rid)
            elif action == "ship_order":
                fulfilment.ship(actor=s.owner, order_id=s.order.pk, carrier="SF", tracking_no="t")
            elif action == "confirm_order":
                fulfilment.confirm_receipt(consumer=s.consumer, order_id=s.order.pk)
            elif action == "wait":
                clock.advance(timedelta(days=1 + number % 4))
                auto_approve_requests()
                close_expired_requests()
                auto_receive_returns()
                fulfilment.settle(s.order.pk)
        except (ValidationError, ObjectDoesNotExist):
            pass  # refused: nothing may have changed
        assert ledger.trial_balance() == 0
    order = Order.objects.get(pk=s.order.pk)
    requests = list(AftersaleRequest.objects.filter(order=order))
    assert order.refunded_amount == sum(r.refunded_amount for r in requests) <= order.paid_amount
    assert ledger.balances_match_lines()
    for acct in LedgerAccount.objects.all():
        assert (acct.sign_rule != "debit" or acct.balance >= 0) and (
            acct.sign_rule != "credit" or acct.balance <= 0
        )
    _commissions_consistent(order, s.distributor)
    assert 0 <= Sku.objects.get(pk=s.sku.pk).stock <= stock_before + 3
    assert sum(1 for r in requests if r.is_open) <= 1
