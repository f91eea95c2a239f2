"""The settlement batch (``trade.settlement``) against the per-order path (``fulfilment.settle``):
the same writes over a random mix of orders, idempotent, in batches of any size, safe beside a
second worker, and refusing the same orders."""

from __future__ import annotations

import io
import logging
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.core.models import AuditRecord, OutboxEntry, OutboxEvent
from fenxiao.core.tests.concurrency import run_together
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import (
    Commission,
    CommissionStatus,
    DistributorLevel,
    DistributorMembership,
    DistributorNotice,
)
from fenxiao.distribution.tests.factories import distributor_of, program_of
from fenxiao.ledger import selectors as ledger
from fenxiao.ledger import services as ledger_services
from fenxiao.ledger.models import AccountCode, JournalEntry, LedgerAccount
from fenxiao.ledger.services import LedgerError
from fenxiao.trade import conf, extensions, fulfilment, refunds, settlement
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Order, OrderStatus, ShippingRule
from fenxiao.trade.platform_fee import settlement_amounts

from .factories import AddressFactory, pay_checkout

pytestmark = pytest.mark.django_db


def _world(seed: int, orders: int = 30, *, every_order_due: bool = False) -> dict:
    """Three brands — A: freeze 0 days, level 2, distributor levels; B: freeze 3 days, shipping
    fee; C: no distributors — and ``orders`` orders through checkout, payment, shipping, receipt
    and refunds, with random quantities, fee rates, partial and full refunds; some stay unpaid
    for receipt, some of B's are still frozen at the end (unless ``every_order_due``)."""
    rng = random.Random(seed)
    a = SkuFactory(retail_price=10000, price_min=9000, price_max=12000, stock=10**4)
    b = SkuFactory(retail_price=3333, stock=10**4)
    c = SkuFactory(retail_price=5999, stock=10**4)
    ShippingRule.objects.create(brand=b.brand, flat_fee=800)
    program_of(a.brand, level1_bps=1000, level2_enabled=True, level2_bps=500, freeze_days=0)
    program_of(b.brand, level1_bps=1500, freeze_days=3)
    DistributorLevel.objects.create(brand=a.brand, name="铜牌", rate_bps=800, min_sales=0)
    DistributorLevel.objects.create(brand=a.brand, name="金牌", rate_bps=2000, min_sales=30000)
    owners = {sku.brand_id: BrandStaffFactory(brand=sku.brand, role=BrandRole.OWNER) for sku in (a, b, c)}
    inviter = distributor_of(a.brand)
    members = [distributor_of(a.brand, inviter=inviter.distributor), distributor_of(a.brand)]
    members.append(distributor_of(b.brand))
    buyers: list[tuple] = []
    for member in members:
        sku = a if member.brand_id == a.brand_id else b
        link = distribution.share_link(distributor=member.distributor, brand=sku.brand)
        for _ in range(2):
            consumer = UserFactory()
            distribution.record_visit(link=link, visitor=consumer)
            buyers.append((consumer, sku))
    for sku in (a, b, c):
        buyers.append((UserFactory(), sku))
    addresses = {consumer.pk: AddressFactory(consumer=consumer) for consumer, _ in buyers}
    made = []
    for i in range(orders):
        if i == orders * 2 // 3:
            clock.advance(timedelta(days=2))
        consumer, sku = buyers[rng.randrange(len(buyers))]
        checkout = place_order(
            consumer=consumer, address_id=addresses[consumer.pk].pk, items=[(sku.pk, rng.randint(1, 3))]
        )
        pay_checkout(checkout)
        order = checkout.orders.get()
        Order.objects.filter(pk=order.pk).update(platform_fee_bps=rng.choice([0, 200, 250, 333, 1000]))
        made.append(order.pk)
        if rng.random() < 0.12 and not every_order_due:
            continue  # paid, never received: not due
        owner = owners[sku.brand_id]
        fulfilment.ship(actor=owner, order_id=order.pk, carrier="顺丰", tracking_no=f"SF{i}")
        fulfilment.confirm_receipt(consumer=consumer, order_id=order.pk)
        roll = rng.random()
        if roll < 0.3:
            amount = rng.randint(1, order.paid_amount - 1)
        elif roll < 0.4:
            amount = order.paid_amount
        else:
            continue
        refunds.refund_order(order_id=order.pk, amount=amount, reason="售后", reference=f"r{i}")
    clock.advance(timedelta(days=3 if every_order_due else 1, hours=12))
    return {"orders": made, "brands": (a.brand, b.brand, c.brand)}


def _per_order_settlement() -> int:
    """What the timer did before the batch: each due order through ``settle``; a refused one
    (LedgerError) rolls back alone."""
    due = Order.objects.filter(
        status=OrderStatus.COMPLETED, settled_at=None, completed_at__lte=clock.now() - conf.settlement_delay()
    ).order_by("pk")
    settled = 0
    for order_id in due.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                settled += fulfilment.settle(order_id) is not None
        except LedgerError:
            pass
    return settled


def _snapshot() -> dict:
    """Everything settlement writes, keyed by what does not depend on the order of inserts."""
    names = {a.pk: (a.code, a.brand_id, a.user_id) for a in LedgerAccount.objects.all()}
    keys = {e.pk: e.idempotency_key for e in JournalEntry.objects.all()}
    events = {e.pk: (e.topic, e.aggregate) for e in OutboxEvent.objects.all()}

    def job_payload(payload: dict) -> dict:
        return {**payload, "event_id": events.get(payload["event_id"])} if "event_id" in payload else payload

    notices: dict[int, str] = {}
    for user_id, message in DistributorNotice.objects.order_by("pk").values_list("distributor_id", "message"):
        notices[user_id] = message  # the last one per distributor
    return {
        "balances": {names[a.pk]: a.balance for a in LedgerAccount.objects.all()},
        "entries": {
            e.idempotency_key: (
                e.kind,
                e.reference,
                e.memo,
                sorted((names[line.account_id], line.amount) for line in e.lines.all()),
            )
            for e in JournalEntry.objects.prefetch_related("lines")
        },
        "orders": list(
            Order.objects.order_by("pk").values_list(
                "pk", "status", "settled_at", "settled_brand_amount", "settled_fee"
            )
        ),
        "commissions": list(
            Commission.objects.order_by("pk").values_list("pk", "status", "available_at", "reversed_amount")
        ),
        "events": list(OutboxEvent.objects.order_by("pk").values_list("topic", "aggregate", "payload")),
        "jobs": [
            (j.name, job_payload(j.payload), j.ordering_key, j.run_at, j.status, j.max_attempts, j.unique_key)
            for j in OutboxEntry.objects.order_by("pk")
        ],
        "levels": list(
            DistributorMembership.objects.order_by("pk").values_list("pk", "level_id", "settled_sales")
        ),
        "notices": notices,
        "audit": [
            (
                r.category,
                r.action,
                r.target,
                r.at,
                r.actor_label,
                r.ip,
                {**r.detail, "entry_id": keys.get(r.detail.get("entry_id"))},
            )
            for r in AuditRecord.objects.order_by("pk")
        ],
    }


def _frozen_clock(monkeypatch):
    at = clock.now()
    monkeypatch.setattr(clock, "now", lambda: at)
    return at


@pytest.mark.parametrize(("seed", "batch_size", "base_days"), [(1, 4, 0), (2, 5000, 0), (3, 7, 1)])
def test_batch_writes_exactly_what_the_per_order_path_writes(
    monkeypatch, settings, seed, batch_size, base_days
):
    settings.ORDER_SETTLEMENT_DAYS = base_days
    world = _world(seed)
    _frozen_clock(monkeypatch)
    with transaction.atomic():
        one_by_one = _per_order_settlement()
        expected = _snapshot()
        transaction.set_rollback(True)
    batched = settlement.settle_all_due(batch_size=batch_size)
    got = _snapshot()
    assert batched == one_by_one > 0
    for part in expected:
        assert got[part] == expected[part], part
    orders = Order.objects.filter(pk__in=world["orders"])
    assert orders.filter(settled_at__isnull=False).count() == batched
    assert orders.filter(status=OrderStatus.COMPLETED, settled_at=None).exists()  # frozen or unpaid-for
    assert Commission.objects.filter(status=CommissionStatus.AVAILABLE).exists()
    assert OutboxEvent.objects.filter(topic="commission.available").exists()
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()
    _assert_settled_sales_equal_the_commissions()


def _assert_settled_sales_equal_the_commissions() -> None:
    """Each membership's running settled sales equal the direct sums: the SQL one
    (``settled_sales``) and one over the ORM objects here (a fully reversed commission sold
    nothing; a partly refunded order counts its goods less what was refunded)."""
    memberships = list(DistributorMembership.objects.all())
    for m in memberships:
        by_objects = sum(
            max(0, c.base_amount - c.order.refunded_amount)
            for c in Commission.objects.select_related("order")
            .filter(
                distributor_id=m.distributor_id,
                order__brand_id=m.brand_id,
                level=1,
                order__settled_at__isnull=False,
            )
            .exclude(status=CommissionStatus.REVERSED)
        )
        direct = distribution.settled_sales(brand_id=m.brand_id, distributor_id=m.distributor_id)
        assert m.settled_sales == direct == by_objects, m
    assert any(m.settled_sales > 0 for m in memberships)


def test_fully_reversed_commissions_do_not_count_for_levels(monkeypatch):
    _world(8, orders=40, every_order_due=True)
    settlement.settle_all_due(batch_size=6)
    reversed_settled = Commission.objects.filter(
        level=1, status=CommissionStatus.REVERSED, order__settled_at__isnull=False
    )
    assert reversed_settled.exists()
    _assert_settled_sales_equal_the_commissions()


def test_the_migration_recounts_settled_sales_from_the_commissions():
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection as db

    _world(9, orders=20, every_order_due=True)
    settlement.settle_all_due(batch_size=5)
    kept = dict(DistributorMembership.objects.values_list("pk", "settled_sales"))
    DistributorMembership.objects.update(settled_sales=0)
    migration = import_module("fenxiao.distribution.migrations.0007_commission_lines")
    migration.recount_settled_sales(apps, SimpleNamespace(connection=db))
    assert dict(DistributorMembership.objects.values_list("pk", "settled_sales")) == kept
    assert any(kept.values())


def test_second_run_settles_nothing_and_posts_nothing_twice(monkeypatch):
    _world(4, orders=12, every_order_due=True)
    first = settlement.settle_all_due(batch_size=5)
    entries, events = JournalEntry.objects.count(), OutboxEvent.objects.count()
    balances = list(LedgerAccount.objects.order_by("pk").values_list("balance", flat=True))
    assert first > 0
    assert settlement.settle_all_due(batch_size=5) == 0
    assert settlement.settle_due_orders() == 0
    assert (JournalEntry.objects.count(), OutboxEvent.objects.count()) == (entries, events)
    assert list(LedgerAccount.objects.order_by("pk").values_list("balance", flat=True)) == balances
    assert ledger.trial_balance() == 0


def test_batches_smaller_than_the_due_set_settle_each_order_once():
    _world(5, orders=14, every_order_due=True)
    due = settlement.due_orders()
    assert due == Order.objects.filter(status=OrderStatus.COMPLETED).count() > 6
    assert settlement.settle_due_orders(batch_size=3) == 3
    assert settlement.due_orders() == due - 3
    seen: list[int] = []
    total = settlement.settle_all_due(batch_size=2, progress=lambda outcome, settled: seen.append(settled))
    assert total == due - 3 and seen[-1] == total and len(seen) == (total + 1) // 2
    assert settlement.due_orders() == 0
    posted = Order.objects.filter(settled_at__isnull=False).exclude(paid_amount=F("refunded_amount"))
    assert JournalEntry.objects.filter(kind="order_settled").count() == posted.count()
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_order_whose_commission_and_fee_exceed_the_goods_is_skipped_and_logged(caplog):
    world = _world(6, orders=8, every_order_due=True)
    with_commission = Order.objects.filter(
        brand=world["brands"][0], commissions__isnull=False, refunded_amount=0
    ).first()
    Order.objects.filter(pk=with_commission.pk).update(platform_fee_bps=9500)  # + 10% commission
    with caplog.at_level(logging.WARNING, logger="fenxiao.trade.settlement"):
        settled = settlement.settle_all_due(batch_size=3)
    assert settled == Order.objects.filter(status=OrderStatus.COMPLETED).count() - 1
    with_commission.refresh_from_db()
    assert with_commission.settled_at is None
    assert str(with_commission.pk) in caplog.text and "exceed" in caplog.text
    with pytest.raises(LedgerError):
        fulfilment.settle(with_commission.pk)  # the per-order path refuses it too


def test_a_batch_the_ledger_refuses_is_settled_one_by_one(caplog):
    """Clearing holds less than the batch would take out (its sign rule): the batch rolls back
    and its orders settle one by one until clearing runs dry; the rest are logged."""
    _world(7, orders=6, every_order_due=True)
    clearing = ledger_services.account(AccountCode.PLATFORM_CLEARING)
    first = Order.objects.filter(status=OrderStatus.COMPLETED).order_by("pk").first()
    amounts = settlement_amounts(first)
    goods, shipping = amounts.goods, amounts.shipping
    commission = sum(extensions.settlement_commissions(first).values())
    drained = -clearing.balance - (goods + shipping - commission)
    ledger_services.post_entry(
        kind="test_drain",
        reference="drain",
        lines=[(clearing, drained), (ledger_services.account(AccountCode.GATEWAY_CASH), -drained)],
        idempotency_key="drain",
    )
    with caplog.at_level(logging.WARNING, logger="fenxiao.trade.settlement"):
        settled = settlement.settle_all_due(batch_size=100)
    first.refresh_from_db()
    assert first.settled_at is not None and "one by one" in caplog.text
    assert settled >= 1 and Order.objects.filter(status=OrderStatus.COMPLETED, settled_at=None).exists()
    assert ledger_services.account(AccountCode.PLATFORM_CLEARING).balance <= 0
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_an_entry_posted_already_goes_through_the_per_order_path():
    _world(8, orders=5, every_order_due=True)
    order = Order.objects.filter(status=OrderStatus.COMPLETED, refunded_amount=0).order_by("pk").first()
    amounts = settlement_amounts(order)
    ledger_services.record_order_settlement(
        order_reference=order.reference,
        brand=order.brand_id,
        goods_amount=amounts.goods,
        shipping_amount=amounts.shipping,
        platform_fee=amounts.fee,
        commissions=extensions.settlement_commissions(order),
        idempotency_key=f"settle:{order.pk}",
    )
    assert settlement.settle_all_due() == Order.objects.filter(status=OrderStatus.COMPLETED).count()
    assert JournalEntry.objects.filter(idempotency_key=f"settle:{order.pk}").count() == 1
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_the_timer_hands_settlement_to_a_job(monkeypatch):
    from fenxiao.core.jobs import run_pending
    from fenxiao.trade.jobs import SETTLE_JOB

    _world(10, orders=4, every_order_due=True)
    run_pending()
    assert OutboxEntry.objects.filter(name=SETTLE_JOB, status="done").count() == 1
    assert not Order.objects.filter(status=OrderStatus.COMPLETED, settled_at=None).exists()


def test_settle_orders_command_shows_progress():
    _world(11, orders=6, every_order_due=True)
    out = io.StringIO()
    call_command("settle_orders", "--batch-size", "2", stdout=out)
    text = out.getvalue()
    due = Order.objects.filter(status=OrderStatus.COMPLETED).count()
    assert f"{due} orders due" in text and "orders/s" in text and "ETA" in text
    assert f"settled {due} orders" in text
    assert not Order.objects.filter(status=OrderStatus.COMPLETED, settled_at=None).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_settle_every_order_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking (SKIP LOCKED)")
    _world(12, orders=40, every_order_due=True)
    due = settlement.due_orders()
    counts: list[int] = []
    outcomes = run_together(*[lambda: counts.append(settlement.settle_all_due(batch_size=3))] * 2)
    assert outcomes == ["ok", "ok"] and sum(counts) == due > 20
    assert not Order.objects.filter(status=OrderStatus.COMPLETED, settled_at=None).exists()
    keys = list(JournalEntry.objects.filter(kind="order_settled").values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    events = list(
        OutboxEvent.objects.filter(topic="commission.available").values_list("aggregate", flat=True)
    )
    assert (
        len(events)
        == len(set(events))
        == Commission.objects.filter(status=CommissionStatus.AVAILABLE).count()
    )
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_publish_many_and_publish_select_write_what_publish_writes(monkeypatch):
    from fenxiao.accounts.models import User
    from fenxiao.core import events
    from fenxiao.core.registry import SUBSCRIBERS
    from fenxiao.core.sql import json_object

    monkeypatch.setitem(SUBSCRIBERS, "test.settled", [("test.one", print), ("test.two", print)])
    _frozen_clock(monkeypatch)
    users = [UserFactory() for _ in range(3)]

    def written() -> list:
        found = []
        for event in OutboxEvent.objects.filter(topic="test.settled").order_by("pk"):
            jobs = OutboxEntry.objects.filter(payload__event_id=event.pk).order_by("pk")
            found.append(
                (
                    event.aggregate,
                    event.payload,
                    [
                        (j.name, j.payload["subscriber"], j.payload["topic"], j.ordering_key, j.run_at)
                        for j in jobs
                    ],
                )
            )
        return found

    def one_by_one():
        for user in users:
            events.publish(
                "test.settled", {"user_id": user.pk, "phone": user.phone}, aggregate=f"user:{user.pk}"
            )

    def many():
        events.publish_many(
            "test.settled", [({"user_id": u.pk, "phone": u.phone}, f"user:{u.pk}") for u in users]
        )

    def select():
        events.publish_select(
            "test.settled",
            f"SELECT u.id AS id, 'user:' || u.id AS aggregate, {json_object(user_id='u.id', phone='u.phone')}"
            f" AS payload FROM {User._meta.db_table} u WHERE u.id IN (%s, %s, %s)",
            [u.pk for u in users],
            order_by="x.id",
        )

    results = []
    for write in (one_by_one, many, select):
        with transaction.atomic():
            write()
            results.append(written())
            transaction.set_rollback(True)
    assert len(results[0]) == 3 and len(results[0][0][2]) == 3  # two subscribers and "*"
    assert results[1] == results[0] and results[2] == results[0]
