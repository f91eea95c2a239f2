"""After-sales writes, each one transaction.  Every service locks the order row first (then the
request), so a request, a refund, the order's completion and its settlement never interleave;
each checks who may act (consumer of the order, brand staff with AFTERSALES_HANDLE, platform staff)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.catalog.images import read_validated_image
from fenxiao.core import clock
from fenxiao.trade.models import Order, OrderLine, OrderStatus

from . import conf, refunding, stock
from .models import (
    OPEN_STATUSES,
    AftersaleRequest,
    AftersalesPolicy,
    Evidence,
    Kind,
    Message,
    Reason,
    Side,
    Status,
)
from .state import AftersalesError, move, notify, record_created

S = Status


class NotFound(ObjectDoesNotExist):
    """No such request for this person (shown as 404)."""


def policy_for(brand_id: int) -> AftersalesPolicy:
    policy = AftersalesPolicy.objects.filter(brand_id=brand_id).first()
    if policy:
        return policy
    return AftersalesPolicy(
        brand_id=brand_id,
        response_days=conf.response_days_limits()[2],
        return_days=conf.return_days_limits()[2],
        window_days=conf.window_days_limits()[2],
    )


@transaction.atomic
def update_policy(
    *, actor: BrandStaff, response_days: int, return_days: int, window_days: int
) -> AftersalesPolicy:
    if not actor.can(Perm.SETTINGS_MANAGE):
        raise AftersalesError(_("Your role may not change the after-sales policy."))
    for value, (low, high, _default), label in (
        (response_days, conf.response_days_limits(), _("Days to answer")),
        (return_days, conf.return_days_limits(), _("Days to ship back")),
        (window_days, conf.window_days_limits(), _("After-sales window")),
    ):
        if not low <= value <= high:
            raise AftersalesError(
                _("%(label)s must be between %(low)d and %(high)d days.")
                % {"label": label, "low": low, "high": high}
            )
    policy, _created = AftersalesPolicy.objects.update_or_create(
        brand_id=actor.brand_id,
        defaults={"response_days": response_days, "return_days": return_days, "window_days": window_days},
    )
    return policy


def _read_photos(photos: Sequence[UploadedFile]) -> list[tuple[bytes, str]]:
    if len(photos) > conf.MAX_PHOTOS:
        raise AftersalesError(_("At most %(n)d photos.") % {"n": conf.MAX_PHOTOS})
    return [read_validated_image(photo) for photo in photos]


def _save_photos(request: AftersaleRequest, cleaned, *, user, message: Message | None = None) -> None:
    for index, (raw, ext) in enumerate(cleaned):
        evidence = Evidence(request=request, message=message, uploaded_by=user)
        evidence.image.save(f"{message.pk if message else 'r'}-{index}.{ext}", ContentFile(raw), save=False)
        evidence.save()


def _days(n: int):
    return clock.now() + timedelta(days=n)


@transaction.atomic
def create_request(
    *,
    consumer,
    order_id: int,
    line_id: int | None,
    kind: str,
    reason: str,
    description: str = "",
    amount: int,
    quantity: int = 0,
    photos: Sequence[UploadedFile] = (),
) -> AftersaleRequest:
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id, consumer=consumer).first()
    if order is None:
        raise NotFound(_("No such order."))
    line = None
    if line_id:
        line = OrderLine.objects.filter(pk=line_id, order=order).first()
        if line is None:
            raise AftersalesError(_("That item is not part of this order."))
    if kind not in Kind.values or reason not in Reason.values:
        raise AftersalesError(_("Choose a type and a reason."))
    policy = policy_for(order.brand_id)
    now = clock.now()
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        raise AftersalesError(
            _("This order is %(status)s: no after-sales request is possible.")
            % {"status": order.get_status_display()}
        )
    if (
        order.status == OrderStatus.COMPLETED
        and order.completed_at + timedelta(days=policy.window_days) < now
    ):
        raise AftersalesError(
            _("The after-sales window of %(days)d days after completion has passed.")
            % {"days": policy.window_days}
        )
    shipped = line.shipped_quantity if line else sum(x.shipped_quantity for x in order.lines.all())
    if kind == Kind.REFUND_ONLY and order.status == OrderStatus.COMPLETED:
        raise AftersalesError(_("The goods were received: ask for a return and refund instead."))
    if kind != Kind.REFUND_ONLY and not shipped:
        raise AftersalesError(_("Nothing has shipped yet: ask for a refund only."))
    if kind == Kind.EXCHANGE and line is None:
        raise AftersalesError(_("Choose the item to exchange."))
    if line and not 0 <= quantity <= line.quantity:
        raise AftersalesError(_("Choose between 1 and %(n)d units.") % {"n": line.quantity})
    open_requests = AftersaleRequest.objects.filter(order=order, status__in=OPEN_STATUSES)
    if line and open_requests.filter(line=line).exists():
        raise AftersalesError(_("This item already has an open after-sales request."))
    if line is None and open_requests.exists() or line and open_requests.filter(line=None).exists():
        raise AftersalesError(_("This order already has an open after-sales request."))
    cap = refunding.refundable(order, line)
    if kind == Kind.EXCHANGE:
        amount = cap  # what arbitration could refund instead
    if cap <= 0:
        raise AftersalesError(_("Nothing is left to refund for this item."))
    if amount <= 0 or amount > cap:
        raise AftersalesError(
            _("You may ask for at most ¥%(cap)s (what was paid, less what was refunded).")
            % {"cap": f"{cap / 100:.2f}"}
        )
    cleaned = _read_photos(photos)
    try:
        with transaction.atomic():
            request = AftersaleRequest.objects.create(
                order=order,
                line=line,
                brand_id=order.brand_id,
                consumer=consumer,
                kind=kind,
                reason=reason,
                description=description.strip()[:1000],
                quantity=quantity if line else 0,
                amount=amount,
                created_at=now,
                due_at=now + timedelta(days=policy.response_days),
            )
    except IntegrityError as exc:
        raise AftersalesError(_("This item already has an open after-sales request.")) from exc
    _save_photos(request, cleaned, user=consumer)
    record_created(request, actor=consumer)
    return request


def _refuse(request: AftersaleRequest, action: str) -> None:
    raise AftersalesError(
        _("After-sales request %(no)s is “%(status)s”; it cannot be %(action)s.")
        % {"no": request.request_no, "status": request.get_status_display(), "action": action}
    )


def _check_due(request: AftersaleRequest) -> None:
    if request.due_at is not None and request.due_at <= clock.now():
        raise AftersalesError(_("The deadline for this step has passed."))


def lock_request(request_id: int, **scope) -> AftersaleRequest:
    """Lock the order, then the request (always in this order)."""
    order_id = (
        AftersaleRequest.objects.filter(pk=request_id, **scope).values_list("order_id", flat=True).first()
    )
    if order_id is None:
        raise NotFound(_("No such after-sales request."))
    Order.objects.select_for_update().get(pk=order_id)
    return (
        AftersaleRequest.objects.select_for_update(of=("self",))
        .select_related("order", "line")
        .get(pk=request_id)
    )


def _brand_lock(actor: BrandStaff, request_id: int) -> AftersaleRequest:
    if not actor.can(Perm.AFTERSALES_HANDLE):
        raise AftersalesError(_("Your role may not handle after-sales requests."))
    return lock_request(request_id, brand_id=actor.brand_id)


def _approve(request: AftersaleRequest, *, actor, actor_label: str, note: str) -> AftersaleRequest:
    if request.status != S.REQUESTED:
        move(request, S.APPROVED, actor=actor, actor_label=actor_label)  # raises the clear error
    if request.kind == Kind.REFUND_ONLY:
        refunding.pay_refund(request, request.amount, actor=actor, actor_label=actor_label, note=note)
    else:
        days = policy_for(request.brand_id).return_days
        move(request, S.APPROVED, actor=actor, actor_label=actor_label, note=note, due_at=_days(days))
    return request


@transaction.atomic
def approve(*, actor: BrandStaff, request_id: int, note: str = "") -> AftersaleRequest:
    request = _brand_lock(actor, request_id)
    return _approve(request, actor=actor.user, actor_label="brand", note=note)


@transaction.atomic
def auto_approve(request_id: int) -> AftersaleRequest:
    request = lock_request(request_id)
    if request.status != S.REQUESTED or request.due_at is None or request.due_at > clock.now():
        return request
    return _approve(request, actor=None, actor_label="system", note="not answered in time: approved")


@transaction.atomic
def reject(*, actor: BrandStaff, request_id: int, note: str) -> AftersaleRequest:
    request = _brand_lock(actor, request_id)
    if not note.strip():
        raise AftersalesError(_("Say why the request is rejected."))
    Message.objects.create(
        request=request, author=actor.user, side=Side.BRAND, body=note.strip()[:2000], created_at=clock.now()
    )
    return move(
        request,
        S.REJECTED,
        actor=actor.user,
        actor_label="brand",
        note=note,
        due_at=_days(conf.escalation_days()),
    )


@transaction.atomic
def ship_back(*, consumer, request_id: int, carrier: str, tracking_no: str) -> AftersaleRequest:
    request = lock_request(request_id, consumer=consumer)
    _check_due(request)
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    if not carrier or not tracking_no:
        raise AftersalesError(_("Give the carrier and the tracking number."))
    request.return_carrier, request.return_tracking_no = carrier[:40], tracking_no[:40]
    days = policy_for(request.brand_id).response_days
    return move(
        request,
        S.RETURN_SHIPPED,
        actor=consumer,
        actor_label="consumer",
        note=f"{carrier} {tracking_no}",
        due_at=_days(days),
        fields=("return_carrier", "return_tracking_no"),
    )


def _receive(request: AftersaleRequest, *, actor, actor_label: str) -> AftersaleRequest:
    if request.status != S.RETURN_SHIPPED:
        move(request, S.RETURN_RECEIVED, actor=actor, actor_label=actor_label)  # raises the clear error
    stock.return_received_stock(request)
    if request.kind == Kind.EXCHANGE:
        return move(
            request, S.RETURN_RECEIVED, actor=actor, actor_label=actor_label, fields=("stock_returned",)
        )
    request.save(update_fields=["stock_returned"])
    refunding.pay_refund(request, request.amount, actor=actor, actor_label=actor_label, note="goods received")
    return request


@transaction.atomic
def confirm_return(*, actor: BrandStaff, request_id: int) -> AftersaleRequest:
    return _receive(_brand_lock(actor, request_id), actor=actor.user, actor_label="brand")


@transaction.atomic
def auto_receive(request_id: int) -> AftersaleRequest:
    """The brand did not confirm the returned goods in time: treated as received."""
    request = lock_request(request_id)
    if request.status != S.RETURN_SHIPPED or request.due_at is None or request.due_at > clock.now():
        return request
    return _receive(request, actor=None, actor_label="system")


@transaction.atomic
def ship_exchange(*, actor: BrandStaff, request_id: int, carrier: str, tracking_no: str) -> AftersaleRequest:
    request = _brand_lock(actor, request_id)
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    if not carrier or not tracking_no:
        raise AftersalesError(_("Give the carrier and the tracking number."))
    if request.status == S.RETURN_RECEIVED:
        stock.take_exchange_stock(request)
    request.exchange_carrier, request.exchange_tracking_no = carrier[:40], tracking_no[:40]
    return move(
        request,
        S.EXCHANGED,
        actor=actor.user,
        actor_label="brand",
        note=f"{carrier} {tracking_no}",
        fields=("exchange_carrier", "exchange_tracking_no"),
    )


@transaction.atomic
def escalate(*, consumer, request_id: int, note: str = "") -> AftersaleRequest:
    request = lock_request(request_id, consumer=consumer)
    _check_due(request)
    if request.status == S.REJECTED and note.strip():
        Message.objects.create(
            request=request,
            author=consumer,
            side=Side.CONSUMER,
            body=note.strip()[:2000],
            created_at=clock.now(),
        )
    return move(request, S.DISPUTED, actor=consumer, actor_label="consumer", note=note)


@transaction.atomic
def cancel(*, consumer, request_id: int) -> AftersaleRequest:
    request = lock_request(request_id, consumer=consumer)
    if request.status not in (S.REQUESTED, S.APPROVED, S.REJECTED):
        _refuse(request, _("withdrawn"))
    return move(request, S.CLOSED, actor=consumer, actor_label="consumer", note="withdrawn by the consumer")


@transaction.atomic
def close_expired(request_id: int) -> AftersaleRequest:
    """Timer: a return not shipped back in time, or a rejection not escalated in time, closes."""
    request = lock_request(request_id)
    if request.status in (S.APPROVED, S.REJECTED) and request.due_at and request.due_at <= clock.now():
        note = "not shipped back in time" if request.status == S.APPROVED else "not escalated in time"
        move(request, S.CLOSED, actor_label="system", note=note)
    return request


ARBITRATION_OUTCOMES = ("full", "partial", "deny")


@transaction.atomic
def arbitrate(*, staff, request_id: int, outcome: str, amount: int = 0, note: str) -> AftersaleRequest:
    """Platform staff decide a dispute; the decision is final and executed at once."""
    if not getattr(staff, "is_staff", False):
        raise AftersalesError(_("Only platform staff may arbitrate."))
    request = lock_request(request_id)
    if request.status != S.DISPUTED:
        _refuse(request, _("arbitrated"))
    if outcome not in ARBITRATION_OUTCOMES:
        raise AftersalesError(_("Choose full refund, partial refund or deny."))
    if not note.strip():
        raise AftersalesError(_("Give the reason for the decision."))
    text = _("Platform decision: %(note)s") % {"note": note.strip()}
    Message.objects.create(
        request=request, author=staff, side=Side.PLATFORM, body=text, created_at=clock.now()
    )
    if outcome == "deny":
        return move(request, S.CLOSED, actor=staff, actor_label="platform", note=note)
    if outcome == "full":
        amount = request.amount
    elif not 0 < amount < request.amount:
        raise AftersalesError(
            _("A partial refund is more than ¥0.00 and less than the ¥%(max)s requested.")
            % {"max": f"{request.amount / 100:.2f}"}
        )
    if request.transitions.filter(from_status=S.RETURN_SHIPPED, to_status=S.REJECTED).exists():
        stock.return_received_stock(request)  # the brand rejected goods sent back to it: they stay
    refunding.pay_refund(request, amount, actor=staff, actor_label="platform", note=note)
    return request


@transaction.atomic
def post_message(
    *,
    author,
    request_id: int,
    body: str,
    photos: Sequence[UploadedFile] = (),
    brand_staff: BrandStaff | None = None,
) -> Message:
    """A message in the request's thread: from its consumer, or from the brand's customer service
    (``brand_staff`` given).  The other side is notified."""
    if brand_staff is not None:
        if not brand_staff.can(Perm.AFTERSALES_HANDLE) or brand_staff.user_id != author.pk:
            raise AftersalesError(_("Your role may not handle after-sales requests."))
        request = lock_request(request_id, brand_id=brand_staff.brand_id)
        side = Side.BRAND
    else:
        request = lock_request(request_id, consumer=author)
        side = Side.CONSUMER
    body = body.strip()
    if not body and not photos:
        raise AftersalesError(_("Write a message or add a photo."))
    if len(body) > 2000:
        raise AftersalesError(_("A message is at most 2000 characters."))
    cleaned = _read_photos(photos)
    message = Message.objects.create(
        request=request, author=author, side=side, body=body, created_at=clock.now()
    )
    _save_photos(request, cleaned, user=author, message=message)
    if side == Side.BRAND:
        notify(request, consumer=gettext_noop("New message from the brand"))
    else:
        notify(request, brand=gettext_noop("New message from the consumer"))
    return message
