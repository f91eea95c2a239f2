import threading

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.accounts.tests.factories import BrandFactory, UserFactory
from fenxiao.ledger import selectors, services
from fenxiao.ledger.models import AccountCode, JournalEntry, JournalLine, LedgerAccount
from fenxiao.ledger.services import LedgerError
from fenxiao.trade import refund_split

pytestmark = pytest.mark.django_db


def test_unbalanced_and_empty_entries_are_refused():
    cash = services.account(AccountCode.GATEWAY_CASH)
    clearing = services.account(AccountCode.PLATFORM_CLEARING)
    with pytest.raises(LedgerError, match="unbalanced"):
        services.post_entry(
            kind="x", reference="r", lines=[(cash, 100), (clearing, -99)], idempotency_key="k1"
        )
    with pytest.raises(LedgerError, match="at least one"):
        services.post_entry(kind="x", reference="r", lines=[(cash, 0)], idempotency_key="k2")
    with pytest.raises(LedgerError, match="integer fen"):
        services.post_entry(
            kind="x", reference="r", lines=[(cash, 1.5), (clearing, -1.5)], idempotency_key="k3"
        )
    assert JournalEntry.objects.count() == 0


def test_idempotent_by_key():
    first = services.record_payment_received(payment_reference="p1", amount=1000, idempotency_key="pay:1")
    again = services.record_payment_received(payment_reference="p1", amount=1000, idempotency_key="pay:1")
    assert first.pk == again.pk
    assert selectors.balance(AccountCode.GATEWAY_CASH) == 1000
    with pytest.raises(LedgerError, match="different lines"):
        services.record_payment_received(payment_reference="p1", amount=999, idempotency_key="pay:1")


def test_entries_are_immutable():
    entry = services.record_payment_received(payment_reference="p1", amount=1000, idempotency_key="pay:1")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        JournalLine.objects.filter(entry=entry).update(amount=5)
    with pytest.raises(TypeError):
        JournalEntry.objects.all().delete()
    services.reverse_entry(entry, reason="test")
    assert selectors.balance(AccountCode.GATEWAY_CASH) == 0


def test_entries_and_lines_cannot_be_changed_by_sql_either():
    services.record_payment_received(payment_reference="p1", amount=1000, idempotency_key="pay:1")
    for statement in (
        "UPDATE ledger_journalline SET amount = 5",
        "UPDATE ledger_journalentry SET memo = 'x'",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(statement)
    if connection.vendor == "postgresql":
        for table in ("ledger_journalline", "ledger_journalentry"):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as c,
            ):
                c.execute(f"DELETE FROM {table}")
    assert sorted(JournalLine.objects.values_list("amount", flat=True)) == [-1000, 1000]
    assert selectors.trial_balance() == 0 and selectors.balances_match_lines()


def test_never_negative_accounts_are_guarded():
    with pytest.raises(LedgerError, match="would become"):
        services.record_brand_payout(
            brand=BrandFactory(), amount=100, reference="x", idempotency_key="payout:1"
        )
    assert JournalEntry.objects.count() == 0


def test_money_flow_of_design_md():
    """100.00 goods + 10.00 shipping, level-1 10%, platform fee 2%."""
    brand, distributor = BrandFactory(), UserFactory()
    services.record_payment_received(payment_reference="pay", amount=11000, idempotency_key="a")
    services.record_commission_pending(
        order_reference="o", brand=brand, user=distributor, amount=1000, idempotency_key="b"
    )
    services.record_order_settlement(
        order_reference="o",
        brand=brand,
        goods_amount=10000,
        shipping_amount=1000,
        platform_fee=200,
        commissions={distributor.pk: 1000},
        idempotency_key="c",
    )
    assert selectors.balance(AccountCode.BRAND_PAYABLE, brand_id=brand.pk) == -(10000 - 1000 - 200 + 1000)
    assert selectors.distributor_wallet(brand_id=brand.pk, user_id=distributor.pk)["available"] == 1000
    assert selectors.balance(AccountCode.PLATFORM_FEE_REVENUE) == -200
    assert selectors.balance(AccountCode.PLATFORM_CLEARING) == 0
    assert selectors.trial_balance() == 0 and selectors.balances_match_lines()


def test_refund_after_settlement_is_split_exactly():
    split = refund_split.split(amount=3333, brand_part=8800, fee=200, commissions={7: 1000})
    assert split.brand_part + split.fee_part + sum(split.commission_parts.values()) == 3333
    assert (split.brand_part, split.fee_part, split.commission_parts) == (2933, 67, {7: 333})


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_key_posts_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    services.account(AccountCode.GATEWAY_CASH)
    services.account(AccountCode.PLATFORM_CLEARING)
    errors = []

    def post():
        try:
            services.record_payment_received(payment_reference="p", amount=500, idempotency_key="same")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert JournalEntry.objects.count() == 1
    assert selectors.balance(AccountCode.GATEWAY_CASH) == 500


OPS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "settle", "refund", "withdraw", "payout", "fail"]),
        st.integers(1, 50_000),
        st.integers(0, 3),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(OPS)
def test_random_sequences_keep_the_ledger_balanced(ops):
    """Orders paid, settled (10% commission, 2% fee), refunded before/after settlement, withdrawals
    requested, paid and failed: the trial balance stays 0 and no account breaks its sign rule."""
    brand, distributor = BrandFactory(), UserFactory()  # fresh accounts per example; keys below are per brand
    orders: list[dict] = []
    withdrawals: list[int] = []
    for n, (op, amount, pick) in enumerate(ops):
        key = f"{brand.pk}-{n}"
        try:
            if op == "pay":
                services.record_payment_received(
                    payment_reference=key, amount=amount, idempotency_key=f"pay{key}"
                )
                commission = amount // 10
                services.record_commission_pending(
                    order_reference=key,
                    brand=brand,
                    user=distributor,
                    amount=commission,
                    idempotency_key=f"cp{key}",
                )
                orders.append(
                    {
                        "paid": amount,
                        "refunded": 0,
                        "commission": commission,
                        "settled": False,
                        "fee": amount * 2 // 100,
                    }
                )
            elif op == "settle" and orders:
                order = orders[pick % len(orders)]
                if not order["settled"]:
                    services.record_order_settlement(
                        order_reference=key,
                        brand=brand,
                        goods_amount=order["paid"] - order["refunded"],
                        shipping_amount=0,
                        platform_fee=order["fee"],
                        commissions={distributor.pk: order["commission"]},
                        idempotency_key=f"s{key}",
                    )
                    order["settled"] = True
            elif op == "refund" and orders:
                order = orders[pick % len(orders)]
                refund = min(amount, order["paid"] - order["refunded"])
                if refund <= 0:
                    continue
                if order["settled"]:
                    split = refund_split.split(
                        amount=refund,
                        brand_part=order["paid"] - order["commission"] - order["fee"],
                        fee=order["fee"],
                        commissions={distributor.pk: order["commission"]},
                    )
                    services.record_refund(
                        refund_reference=key,
                        brand=brand,
                        amount=refund,
                        settled=True,
                        fee_part=split.fee_part,
                        commission_parts=split.commission_parts,
                        idempotency_key=f"r{key}",
                    )
                else:
                    reversed_part = order["commission"] * refund // (order["paid"] - order["refunded"])
                    if reversed_part:
                        services.record_commission_reversal(
                            reference=key,
                            brand=brand,
                            user=distributor,
                            amount=reversed_part,
                            idempotency_key=f"cr{key}",
                        )
                    order["commission"] -= reversed_part
                    order["fee"] = (
                        order["fee"]
                        * (order["paid"] - order["refunded"] - refund)
                        // max(1, order["paid"] - order["refunded"])
                    )
                    services.record_refund(
                        refund_reference=key,
                        brand=brand,
                        amount=refund,
                        settled=False,
                        idempotency_key=f"r{key}",
                    )
                order["refunded"] += refund
            elif op == "withdraw":
                available = selectors.distributor_wallet(brand_id=brand.pk, user_id=distributor.pk)[
                    "available"
                ]
                if available > 0:
                    services.record_withdrawal_requested(
                        brand=brand,
                        user=distributor,
                        amount=available,
                        reference=key,
                        idempotency_key=f"w{key}",
                    )
                    withdrawals.append(available)
            elif op in ("payout", "fail") and withdrawals:
                amount = withdrawals.pop()
                fn = services.record_withdrawal_paid if op == "payout" else services.record_withdrawal_failed
                fn(brand=brand, user=distributor, amount=amount, reference=key, idempotency_key=f"{op}{key}")
        except LedgerError:
            pass  # a refused entry posts nothing; the invariants below must still hold
        assert selectors.trial_balance() == 0
    assert selectors.balances_match_lines()
    for acct in LedgerAccount.objects.all():
        if acct.sign_rule == "debit":
            assert acct.balance >= 0
        elif acct.sign_rule == "credit":
            assert acct.balance <= 0
