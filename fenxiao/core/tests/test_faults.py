"""Fault scenarios on PostgreSQL (several connections, as in production): each leaves the state
consistent and the stuck work is resumed.

- a payment notification that arrives before the checkout's transaction committed is refused
  (the provider re-sends), and the re-sent one credits the payment once;
- the database connection dropped in the middle of a checkout's transaction writes nothing (no
  order, no payment, no stock taken), and the next checkout works.

The worker killed mid-job and two workers racing are in ``test_worker.py``; the payment provider
timing out or answering garbage is in ``payments/tests``.
"""

from __future__ import annotations

import secrets
import threading

import pytest
from django.db import connection, connections, transaction

from fenxiao.catalog.models import Sku
from fenxiao.catalog.tests.factories import SkuFactory
from fenxiao.core import clock
from fenxiao.ledger.models import JournalEntry
from fenxiao.payments import services as payments
from fenxiao.payments.gateways.sandbox import signed_notification
from fenxiao.payments.models import Payment, PaymentStatus
from fenxiao.trade.checkout import place_order
from fenxiao.trade.models import Order, OrderStatus
from fenxiao.trade.tests.factories import AddressFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections (PostgreSQL); SQLite serialises every writer")


def _success(out_trade_no: str, amount: int) -> tuple[dict, bytes]:
    return signed_notification(
        "TRANSACTION.SUCCESS",
        {
            "mchid": "1900000001",
            "appid": "wxsandbox",
            "out_trade_no": out_trade_no,
            "transaction_id": "4200" + secrets.token_hex(8),
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "trade_state_desc": "sandbox",
            "success_time": clock.now().isoformat(timespec="seconds"),
            "amount": {"total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY"},
        },
    )


class HeldCheckout(threading.Thread):
    """Places an order in its own connection and holds the transaction open until released."""

    def __init__(self, consumer, address_id: int, sku_id: int) -> None:
        super().__init__()
        self.args_ = (consumer, address_id, sku_id)
        self.placed = threading.Event()
        self.release = threading.Event()
        self.out_trade_no = ""
        self.amount = 0
        self.backend_pid = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        consumer, address_id, sku_id = self.args_
        try:
            with transaction.atomic():
                checkout = place_order(consumer=consumer, address_id=address_id, items=[(sku_id, 1)])
                self.out_trade_no, self.amount = checkout.payment.out_trade_no, checkout.payment.amount
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.backend_pid = cursor.fetchone()[0]
                self.placed.set()
                self.release.wait(30)
        except BaseException as exc:  # noqa: BLE001 — the test reads it
            self.error = exc
        finally:
            self.placed.set()
            connections.close_all()


def test_notification_before_the_checkout_committed_is_refused_then_credited_once():
    sku = SkuFactory(stock=3)
    address = AddressFactory()
    held = HeldCheckout(address.consumer, address.pk, sku.pk)
    held.start()
    assert held.placed.wait(30) and held.error is None
    headers, body = _success(held.out_trade_no, held.amount)

    status, _, _ = payments.handle_notification("sandbox", headers, body)
    assert status >= 400  # not 2xx: the provider keeps re-sending
    assert not Payment.objects.filter(out_trade_no=held.out_trade_no).exists()

    held.release.set()
    held.join(30)
    assert held.error is None
    for _ in range(3):  # the re-sends
        assert payments.handle_notification("sandbox", headers, body)[0] in (200, 204)
    payment = Payment.objects.get(out_trade_no=held.out_trade_no)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Order.objects.get(checkout__payment=payment).status == OrderStatus.PAID
    assert JournalEntry.objects.filter(kind="payment_received", reference=held.out_trade_no).count() == 1


def test_connection_dropped_mid_checkout_writes_nothing_and_the_next_checkout_works():
    sku = SkuFactory(stock=3)
    address = AddressFactory()
    held = HeldCheckout(address.consumer, address.pk, sku.pk)
    held.start()
    assert held.placed.wait(30) and held.error is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [held.backend_pid])
    held.release.set()
    held.join(30)
    assert held.error is not None  # the commit could not happen

    assert not Order.objects.filter(consumer=address.consumer).exists()
    assert not Payment.objects.filter(out_trade_no=held.out_trade_no).exists()
    assert Sku.objects.get(pk=sku.pk).stock == 3

    checkout = place_order(consumer=address.consumer, address_id=address.pk, items=[(sku.pk, 1)])
    assert checkout.orders.count() == 1 and Sku.objects.get(pk=sku.pk).stock == 2
