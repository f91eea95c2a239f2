"""After-sales refunds that return everything before anything shipped cancel the order (trade:
paid → cancelled); the units go back to stock exactly once, whichever side gives them back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from fenxiao.aftersales import services
from fenxiao.aftersales.jobs import sync_refunds
from fenxiao.aftersales.models import AftersaleRequest, Kind, Status
from fenxiao.aftersales.state import AftersalesError
from fenxiao.catalog.models import Sku
from fenxiao.distribution.models import Commission
from fenxiao.ledger import selectors as ledger
from fenxiao.payments.gateways.base import GatewayRefundResult
from fenxiao.payments.gateways.sandbox import SandboxGateway
from fenxiao.payments.models import RefundStatus
from fenxiao.payments.services import _finish_refund
from fenxiao.trade.models import OrderStatus

from .factories import scene

pytestmark = pytest.mark.django_db


def _ask(s, amount, *, line=False, quantity=None):
    return services.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=s.line.pk if line else None,
        kind=Kind.REFUND_ONLY,
        reason="other",
        amount=amount,
        **({"quantity": quantity} if quantity else {}),
    )


def _stock(s) -> int:
    return Sku.objects.get(pk=s.sku.pk).stock


def _balanced():
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_refund_only_of_everything_before_shipping_cancels_the_order():
    s = scene(quantity=2, shipping=1000)
    stock = _stock(s)
    request = _ask(s, 21000)
    services.approve(actor=s.service, request_id=request.pk)
    request = AftersaleRequest.objects.get(pk=request.pk)
    assert request.status == Status.REFUNDED and request.stock_returned
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.CANCELLED and s.order.refunded_amount == 21000
    assert _stock(s) == stock + 2  # given back once, by trade's cancellation
    commission = Commission.objects.get(order=s.order)
    assert commission.reversed_amount == commission.amount == 2000
    _balanced()
    with pytest.raises(ValidationError, match="Only a paid order can be shipped"):
        s.ship()
    with pytest.raises(AftersalesError, match="no after-sales request is possible"):
        _ask(s, 100)


def test_two_requests_refund_everything_each_unit_back_once():
    s = scene(quantity=2, shipping=1000)
    stock = _stock(s)
    first = _ask(s, 10000, line=True, quantity=1)
    services.approve(actor=s.service, request_id=first.pk)
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.PAID and _stock(s) == stock + 1  # partial: still paid
    second = _ask(s, 11000)  # the rest, shipping included
    services.approve(actor=s.service, request_id=second.pk)
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.CANCELLED and _stock(s) == stock + 2
    assert AftersaleRequest.objects.get(pk=first.pk).restocked == {str(s.line.pk): 1}
    _balanced()


def test_a_shipped_order_refunded_in_full_stays_shipped():
    s = scene(quantity=2)
    s.ship()
    stock = _stock(s)
    request = _ask(s, 20000)
    services.approve(actor=s.service, request_id=request.pk)
    s.order.refresh_from_db()
    assert s.order.refunded_amount == 20000 and s.order.status == OrderStatus.SHIPPED
    assert _stock(s) == stock  # the goods are with the consumer
    _balanced()


def test_a_refund_the_gateway_finishes_later_cancels_and_restocks_once(monkeypatch):
    s = scene(quantity=2)
    stock = _stock(s)
    monkeypatch.setattr(
        SandboxGateway, "refund", lambda self, refund: GatewayRefundResult(False, pending=True)
    )
    request = _ask(s, 20000)
    services.approve(actor=s.service, request_id=request.pk)
    request = AftersaleRequest.objects.get(pk=request.pk)
    assert request.status == Status.REFUNDING and request.refund.status == RefundStatus.PENDING
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.PAID and _stock(s) == stock
    with transaction.atomic():  # the provider's notification arrives
        _finish_refund(request.refund, succeeded=True, provider_refund_id="R1")
    s.order.refresh_from_db()
    assert s.order.status == OrderStatus.CANCELLED and _stock(s) == stock + 2
    sync_refunds()
    sync_refunds()
    request = AftersaleRequest.objects.get(pk=request.pk)
    assert request.status == Status.REFUNDED and request.stock_returned
    assert _stock(s) == stock + 2
    _balanced()
