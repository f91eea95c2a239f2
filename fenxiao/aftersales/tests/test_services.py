"""Every transition, timer and refusal of the after-sales state machine, with the money."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory, UserFactory
from fenxiao.aftersales import services
from fenxiao.aftersales.jobs import (
    auto_approve_requests,
    auto_receive_returns,
    close_expired_requests,
    sync_refunds,
)
from fenxiao.aftersales.models import AftersaleRequest, Kind, Notification, Status, Transition
from fenxiao.aftersales.state import AftersalesError
from fenxiao.core import clock
from fenxiao.core.models import OutboxEvent
from fenxiao.distribution.models import Commission
from fenxiao.ledger import selectors as ledger
from fenxiao.payments.models import Refund, RefundStatus
from fenxiao.trade import fulfilment

from .factories import photo, scene

pytestmark = pytest.mark.django_db


def _request(s, kind=Kind.RETURN_REFUND, amount=10000, **extra):
    return services.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=s.line.pk,
        kind=kind,
        reason="damaged",
        description="盒子破了",
        amount=amount,
        **extra,
    )


def _fresh(request):
    return AftersaleRequest.objects.get(pk=request.pk)


def _balanced():
    assert ledger.trial_balance() == 0 and ledger.balances_match_lines()


def test_refund_only_before_shipping_refunds_reverses_commission_and_returns_stock():
    s = scene(quantity=2)
    stock_after_sale = s.sku.__class__.objects.get(pk=s.sku.pk).stock
    request = _request(s, Kind.REFUND_ONLY, amount=10000, quantity=1, photos=[photo()])
    assert request.status == Status.REQUESTED and request.photos.count() == 1
    assert Notification.objects.filter(request=request, brand=s.sku.brand).exists()
    assert OutboxEvent.objects.filter(topic="aftersale.created").count() == 1
    services.approve(actor=s.service, request_id=request.pk)
    request = _fresh(request)
    assert request.status == Status.REFUNDED and request.refunded_amount == 10000
    s.order.refresh_from_db()
    assert s.order.refunded_amount == 10000
    commission = Commission.objects.get(order=s.order)
    assert commission.amount == 2000 and commission.reversed_amount == 1000
    assert s.sku.__class__.objects.get(pk=s.sku.pk).stock == stock_after_sale + 1
    assert OutboxEvent.objects.filter(topic="aftersale.resolved").count() == 1
    assert [t.to_status for t in request.transitions.all()] == ["requested", "refunding", "refunded"]
    assert request.transitions.all()[1].actor == s.service.user
    _balanced()


def test_units_refunded_before_shipping_are_not_shipped():
    s = scene(quantity=3)
    sku_model = s.sku.__class__
    stock = sku_model.objects.get(pk=s.sku.pk).stock
    first = _request(s, Kind.REFUND_ONLY, amount=10000, quantity=1)
    services.approve(actor=s.service, request_id=first.pk)
    second = _request(s, Kind.REFUND_ONLY, amount=10000, quantity=2)
    services.approve(actor=s.service, request_id=second.pk)
    assert sku_model.objects.get(pk=s.sku.pk).stock == stock + 3
    with pytest.raises(ValidationError, match="at least one"):
        s.ship()  # every unit was refunded: nothing to ship
    assert s.line.shipped_quantity == 0


def test_partial_refund_before_shipping_then_the_rest_ships():
    s = scene(quantity=3)
    request = _request(s, Kind.REFUND_ONLY, amount=10000, quantity=1)
    services.approve(actor=s.service, request_id=request.pk)
    assert _fresh(request).restocked == {str(s.line.pk): 1}
    with pytest.raises(ValidationError, match="only 2 left"):
        fulfilment.ship(
            actor=s.owner, order_id=s.order.pk, carrier="SF", tracking_no="t", quantities={s.line.pk: 3}
        )
    s.ship()
    assert s.order.status == "shipped" and s.line.shipped_quantity == 2


def test_return_and_refund_after_settlement_claws_back_and_restocks():
    s = scene(quantity=2, freeze_days=3)
    s.complete()
    clock.advance(timedelta(days=3, minutes=1))
    assert fulfilment.settle(s.order.pk) is not None
    stock = s.sku.__class__.objects.get(pk=s.sku.pk).stock
    request = _request(s, amount=20000)
    services.approve(actor=s.service, request_id=request.pk)
    assert _fresh(request).status == Status.APPROVED
    services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="中通", tracking_no="ZT1")
    assert _fresh(request).status == Status.RETURN_SHIPPED
    services.confirm_return(actor=s.service, request_id=request.pk)
    request = _fresh(request)
    assert request.status == Status.REFUNDED and request.refunded_amount == 20000
    assert s.sku.__class__.objects.get(pk=s.sku.pk).stock == stock + 2
    commission = Commission.objects.get(order=s.order)
    assert commission.reversed_amount == commission.amount == 2000
    _balanced()


def test_exchange_ships_new_goods_from_stock():
    s = scene(quantity=1)
    s.ship()
    request = _request(s, Kind.EXCHANGE, amount=1)
    assert request.amount == 10000  # an exchange keeps what arbitration could refund
    services.approve(actor=s.service, request_id=request.pk)
    services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="中通", tracking_no="ZT1")
    stock = s.sku.__class__.objects.get(pk=s.sku.pk).stock
    services.confirm_return(actor=s.service, request_id=request.pk)
    assert _fresh(request).status == Status.RETURN_RECEIVED
    assert s.sku.__class__.objects.get(pk=s.sku.pk).stock == stock + 1
    services.ship_exchange(actor=s.service, request_id=request.pk, carrier="顺丰", tracking_no="SF9")
    request = _fresh(request)
    assert request.status == Status.EXCHANGED and request.exchange_tracking_no == "SF9"
    assert s.sku.__class__.objects.get(pk=s.sku.pk).stock == stock
    assert Refund.objects.count() == 0


def test_exchange_without_stock_is_refused_cleanly():
    s = scene(quantity=1, stock=1)
    s.ship()
    request = _request(s, Kind.EXCHANGE)
    services.approve(actor=s.service, request_id=request.pk)
    services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="中通", tracking_no="ZT1")
    services.confirm_return(actor=s.service, request_id=request.pk)
    s.sku.__class__.objects.filter(pk=s.sku.pk).update(stock=0)
    with pytest.raises(AftersalesError, match="out of stock"):
        services.ship_exchange(actor=s.service, request_id=request.pk, carrier="顺丰", tracking_no="SF9")
    assert _fresh(request).status == Status.RETURN_RECEIVED


def test_reject_escalate_and_partial_arbitration():
    s = scene(quantity=2)
    s.ship()
    request = _request(s, amount=15000)
    with pytest.raises(AftersalesError, match="why"):
        services.reject(actor=s.service, request_id=request.pk, note=" ")
    services.reject(actor=s.service, request_id=request.pk, note="人为损坏")
    assert _fresh(request).status == Status.REJECTED
    services.escalate(consumer=s.consumer, request_id=request.pk, note="不是我弄坏的")
    assert _fresh(request).status == Status.DISPUTED
    platform = UserFactory(is_staff=True)
    with pytest.raises(AftersalesError):
        services.arbitrate(staff=s.owner.user, request_id=request.pk, outcome="full", note="x")
    with pytest.raises(AftersalesError, match="partial"):
        services.arbitrate(staff=platform, request_id=request.pk, outcome="partial", amount=15000, note="x")
    services.arbitrate(staff=platform, request_id=request.pk, outcome="partial", amount=6000, note="各担一半")
    request = _fresh(request)
    assert request.status == Status.REFUNDED and request.refunded_amount == 6000 == request.approved_amount
    assert Commission.objects.get(order=s.order).reversed_amount == 600
    assert request.messages.filter(side="platform").exists()
    with pytest.raises(AftersalesError):  # final
        services.arbitrate(staff=platform, request_id=request.pk, outcome="full", note="again")
    _balanced()


def test_brand_rejects_returned_goods_consumer_withdraws_or_escalates():
    s = scene(quantity=2)
    s.ship()
    request = _request(s, amount=10000)
    services.approve(actor=s.service, request_id=request.pk)
    with pytest.raises(AftersalesError, match="carrier"):
        services.ship_back(consumer=s.consumer, request_id=request.pk, carrier=" ", tracking_no="")
    services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="中通", tracking_no="ZT1")
    services.reject(actor=s.service, request_id=request.pk, note="退回的不是原商品")
    assert _fresh(request).status == Status.REJECTED and not _fresh(request).stock_returned
    services.escalate(consumer=s.consumer, request_id=request.pk, note="就是原商品")
    assert [m.side for m in request.messages.all()] == ["brand", "consumer"]
    services.arbitrate(
        staff=UserFactory(is_staff=True), request_id=request.pk, outcome="full", note="支持退款"
    )
    assert _fresh(request).status == Status.REFUNDED and _fresh(request).refunded_amount == 10000
    other = _request(s, Kind.RETURN_REFUND, amount=5000)
    services.approve(actor=s.service, request_id=other.pk)
    services.cancel(consumer=s.consumer, request_id=other.pk)
    assert _fresh(other).status == Status.CLOSED
    _balanced()


def _stock(s):
    sku = s.sku.__class__.objects.select_related("product").get(pk=s.sku.pk)
    return sku.stock, sku.product.total_stock


@pytest.mark.parametrize("refund_fails_first", [False, True])
def test_arbitration_for_the_consumer_restocks_goods_the_brand_rejected_once(refund_fails_first):
    s = scene(quantity=3)
    s.complete()
    stock, total = _stock(s)
    request = _request(s, amount=20000, quantity=2)
    if refund_fails_first:  # the sandbox refuses the first refund; the timer retries it
        AftersaleRequest.objects.filter(pk=request.pk).update(request_no="AS-sandbox-fail")
    services.approve(actor=s.service, request_id=request.pk)
    services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="中通", tracking_no="ZT1")
    services.reject(actor=s.service, request_id=request.pk, note="退回的商品有使用痕迹")
    services.escalate(consumer=s.consumer, request_id=request.pk, note="没有使用过")
    assert _stock(s) == (stock, total)
    platform = UserFactory(is_staff=True)
    services.arbitrate(staff=platform, request_id=request.pk, outcome="full", note="支持退货退款")
    assert _stock(s) == (stock + 2, total + 2)
    if refund_fails_first:
        assert _fresh(request).status == Status.REFUNDING
        AftersaleRequest.objects.filter(pk=request.pk).update(request_no="AS-ok")
    sync_refunds()
    request = _fresh(request)
    assert request.status == Status.REFUNDED and request.refunded_amount == 20000
    assert request.stock_returned
    sync_refunds()
    with pytest.raises(AftersalesError):  # final
        services.arbitrate(staff=platform, request_id=request.pk, outcome="full", note="again")
    assert _stock(s) == (stock + 2, total + 2)
    # goods never sent back: refunded by arbitration, but not stock again
    kept = _request(s, amount=10000, quantity=1)
    services.reject(actor=s.service, request_id=kept.pk, note="no")
    services.escalate(consumer=s.consumer, request_id=kept.pk)
    services.arbitrate(staff=platform, request_id=kept.pk, outcome="full", note="decided")
    assert _fresh(kept).status == Status.REFUNDED and not _fresh(kept).stock_returned
    assert _stock(s) == (stock + 2, total + 2)
    _balanced()


@pytest.mark.parametrize("outcome", ["full", "deny"])
def test_arbitration_full_or_deny(outcome):
    s = scene(quantity=1)
    s.ship()
    request = _request(s, amount=8000)
    services.reject(actor=s.service, request_id=request.pk, note="no")
    services.escalate(consumer=s.consumer, request_id=request.pk)
    services.arbitrate(
        staff=UserFactory(is_staff=True), request_id=request.pk, outcome=outcome, note="decided"
    )
    request = _fresh(request)
    assert request.status == (Status.REFUNDED if outcome == "full" else Status.CLOSED)
    assert request.refunded_amount == (8000 if outcome == "full" else 0)
    _balanced()


def test_consumer_cancels_and_may_ask_again():
    s = scene()
    first = _request(s, Kind.REFUND_ONLY)
    services.cancel(consumer=s.consumer, request_id=first.pk)
    assert _fresh(first).status == Status.CLOSED
    second = _request(s, Kind.REFUND_ONLY)
    assert second.status == Status.REQUESTED


ILLEGAL = [
    ("ship_back", Status.REQUESTED),
    ("confirm_return", Status.REQUESTED),
    ("ship_exchange", Status.APPROVED),
    ("escalate", Status.REQUESTED),
    ("approve", Status.APPROVED),
    ("reject", Status.APPROVED),
    ("arbitrate", Status.REJECTED),
    ("cancel", Status.REFUNDED),
]


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_illegal_transitions_raise_a_clear_error_and_change_nothing(action, state):
    s = scene(quantity=2)
    s.ship()
    request = _request(s, amount=5000)
    if state in (Status.APPROVED, Status.REFUNDED):
        services.approve(actor=s.service, request_id=request.pk)
    if state == Status.REFUNDED:
        services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="c", tracking_no="t")
        services.confirm_return(actor=s.service, request_id=request.pk)
    if state == Status.REJECTED:
        services.reject(actor=s.service, request_id=request.pk, note="no")
    before = _fresh(request)
    transitions = Transition.objects.count()
    calls = {
        "ship_back": lambda: services.ship_back(
            consumer=s.consumer, request_id=request.pk, carrier="c", tracking_no="t"
        ),
        "confirm_return": lambda: services.confirm_return(actor=s.service, request_id=request.pk),
        "ship_exchange": lambda: services.ship_exchange(
            actor=s.service, request_id=request.pk, carrier="c", tracking_no="t"
        ),
        "escalate": lambda: services.escalate(consumer=s.consumer, request_id=request.pk),
        "approve": lambda: services.approve(actor=s.service, request_id=request.pk),
        "reject": lambda: services.reject(actor=s.service, request_id=request.pk, note="no"),
        "arbitrate": lambda: services.arbitrate(
            staff=UserFactory(is_staff=True), request_id=request.pk, outcome="full", note="x"
        ),
        "cancel": lambda: services.cancel(consumer=s.consumer, request_id=request.pk),
    }
    with pytest.raises(AftersalesError) as exc:
        calls[action]()
    assert before.request_no in str(exc.value.messages[0]) or "cannot" in exc.value.messages[0]
    after = _fresh(request)
    assert (after.status, after.refunded_amount, after.due_at) == (
        before.status,
        before.refunded_amount,
        before.due_at,
    )
    assert Transition.objects.count() == transitions


def test_amount_above_what_was_paid_is_refused():
    s = scene(quantity=2, shipping=1000)
    s.ship()
    with pytest.raises(AftersalesError, match="at most ¥200.00"):
        _request(s, amount=20001)
    # the whole order: shipping is not refundable once something shipped
    with pytest.raises(AftersalesError, match="at most ¥200.00"):
        services.create_request(
            consumer=s.consumer,
            order_id=s.order.pk,
            line_id=None,
            kind=Kind.RETURN_REFUND,
            reason="other",
            amount=21000,
        )
    assert not AftersaleRequest.objects.exists()


def test_shipping_refundable_when_nothing_shipped_and_partial_refunds_add_up():
    s = scene(quantity=2, shipping=1000)
    whole = services.create_request(
        consumer=s.consumer,
        order_id=s.order.pk,
        line_id=None,
        kind=Kind.REFUND_ONLY,
        reason="other",
        amount=21000,
    )
    services.cancel(consumer=s.consumer, request_id=whole.pk)
    first = _request(s, Kind.REFUND_ONLY, amount=5000, quantity=1)
    services.approve(actor=s.owner, request_id=first.pk)
    with pytest.raises(AftersalesError, match="at most ¥150.00"):
        _request(s, Kind.REFUND_ONLY, amount=15001)
    second = _request(s, Kind.REFUND_ONLY, amount=15000)
    services.approve(actor=s.owner, request_id=second.pk)
    s.order.refresh_from_db()
    assert s.order.refunded_amount == 20000
    _balanced()


def test_no_request_after_the_window_nor_on_unpaid_orders():
    s = scene()
    s.complete()
    with pytest.raises(AftersalesError, match="return and refund"):
        _request(s, Kind.REFUND_ONLY)
    clock.advance(timedelta(days=7, hours=1))
    with pytest.raises(AftersalesError, match="window"):
        _request(s)
    with pytest.raises(services.NotFound):
        services.create_request(
            consumer=UserFactory(),
            order_id=s.order.pk,
            line_id=None,
            kind=Kind.REFUND_ONLY,
            reason="other",
            amount=1,
        )


def test_return_requires_shipped_goods_and_photos_are_validated():
    s = scene()
    with pytest.raises(AftersalesError, match="refund only"):
        _request(s)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):
        _request(s, Kind.REFUND_ONLY, photos=[SimpleUploadedFile("x.png", b"not an image")])
    with pytest.raises(AftersalesError, match="9"):
        _request(s, Kind.REFUND_ONLY, photos=[photo() for _ in range(10)])
    assert not AftersaleRequest.objects.exists()


def test_second_open_request_on_the_same_line_is_refused():
    s = scene()
    _request(s, Kind.REFUND_ONLY, amount=1000)
    with pytest.raises(AftersalesError, match="already has an open"):
        _request(s, Kind.REFUND_ONLY, amount=1000)
    with pytest.raises(AftersalesError, match="already has an open"):
        services.create_request(
            consumer=s.consumer,
            order_id=s.order.pk,
            line_id=None,
            kind=Kind.REFUND_ONLY,
            reason="other",
            amount=1,
        )
    assert AftersaleRequest.objects.count() == 1


def test_roles_without_aftersales_permission_and_other_brands_cannot_act():
    s = scene()
    request = _request(s, Kind.REFUND_ONLY)
    finance = BrandStaffFactory(brand=s.sku.brand, role=BrandRole.FINANCE)
    with pytest.raises(AftersalesError, match="role"):
        services.approve(actor=finance, request_id=request.pk)
    with pytest.raises(services.NotFound):
        services.approve(actor=BrandStaffFactory(role=BrandRole.OWNER), request_id=request.pk)
    with pytest.raises(services.NotFound):
        services.cancel(consumer=UserFactory(), request_id=request.pk)
    assert _fresh(request).status == Status.REQUESTED


def test_messages_notify_the_other_side():
    s = scene()
    request = _request(s, Kind.REFUND_ONLY)
    services.post_message(author=s.consumer, request_id=request.pk, body="请尽快", photos=[photo()])
    services.post_message(author=s.service.user, brand_staff=s.service, request_id=request.pk, body="好的")
    assert [m.side for m in request.messages.all()] == ["consumer", "brand"]
    assert request.photos.filter(message__isnull=False).count() == 1
    assert Notification.objects.filter(user=s.consumer, text__contains="brand").count() == 1
    with pytest.raises(AftersalesError):
        services.post_message(author=s.consumer, request_id=request.pk, body="  ")
    with pytest.raises(services.NotFound):
        services.post_message(author=s.distributor, request_id=request.pk, body="我是分销商")


# --- timers -----------------------------------------------------------------------------------


def test_unanswered_request_is_approved_automatically():
    s = scene()
    request = _request(s, Kind.REFUND_ONLY, amount=3000)
    auto_approve_requests()
    assert _fresh(request).status == Status.REQUESTED  # not due yet
    clock.advance(timedelta(days=3, minutes=1))
    auto_approve_requests()
    request = _fresh(request)
    assert request.status == Status.REFUNDED and request.transitions.all()[1].actor_label == "system"
    _balanced()


def test_return_not_shipped_back_in_time_closes():
    s = scene()
    s.ship()
    request = _request(s)
    clock.advance(timedelta(days=3, minutes=1))
    auto_approve_requests()
    assert _fresh(request).status == Status.APPROVED
    clock.advance(timedelta(days=7, minutes=1))
    with pytest.raises(AftersalesError, match="deadline"):
        services.ship_back(consumer=s.consumer, request_id=request.pk, carrier="c", tracking_no="t")
    close_expired_requests()
    assert _fresh(request).status == Status.CLOSED


def test_rejection_not_escalated_in_time_closes_and_unconfirmed_return_counts_as_received():
    s = scene(quantity=2)
    s.ship()
    rejected = _request(s, amount=1000)
    services.reject(actor=s.service, request_id=rejected.pk, note="no")
    clock.advance(timedelta(days=7, minutes=1))
    close_expired_requests()
    assert _fresh(rejected).status == Status.CLOSED
    returned = _request(s, amount=1000)
    services.approve(actor=s.service, request_id=returned.pk)
    services.ship_back(consumer=s.consumer, request_id=returned.pk, carrier="c", tracking_no="t")
    clock.advance(timedelta(days=3, minutes=1))
    auto_receive_returns()
    assert _fresh(returned).status == Status.REFUNDED and _fresh(returned).stock_returned
    _balanced()


def test_failed_refund_stays_refunding_and_is_retried_by_the_timer(monkeypatch):
    s = scene()
    request = _request(s, Kind.REFUND_ONLY, amount=3000)
    request.request_no = "AS-sandbox-fail"  # the sandbox refuses refunds whose reason says so
    request.save(update_fields=["request_no"])
    services.approve(actor=s.service, request_id=request.pk)
    request = _fresh(request)
    assert request.status == Status.REFUNDING and request.refund.status == RefundStatus.FAILED
    AftersaleRequest.objects.filter(pk=request.pk).update(request_no="AS-ok")
    sync_refunds()
    request = _fresh(request)
    assert request.status == Status.REFUNDED and request.refund_attempts == 2
    s.order.refresh_from_db()
    assert s.order.refunded_amount == 3000
    _balanced()


def test_policy_limits():
    s = scene(distributor=False)
    with pytest.raises(AftersalesError, match="between"):
        services.update_policy(actor=s.owner, response_days=30, return_days=7, window_days=7)
    with pytest.raises(AftersalesError, match="role"):
        services.update_policy(actor=s.service, response_days=2, return_days=7, window_days=7)
    policy = services.update_policy(actor=s.owner, response_days=2, return_days=5, window_days=15)
    assert services.policy_for(s.sku.brand_id) == policy
    request = _request(s, Kind.REFUND_ONLY)
    assert request.due_at - request.created_at == timedelta(days=2)
