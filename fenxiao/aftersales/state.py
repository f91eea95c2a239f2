"""The after-sales state machine, notifications and events: every change of status goes through
:func:`move`, which checks it is allowed, records who and when, notifies the parties and
publishes the outbox event, in the caller's transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fenxiao.core import clock
from fenxiao.core.events import publish

from .models import FINAL_STATUSES, AftersaleRequest, Notification, Status, Transition

S = Status
ALLOWED: dict[str, set[str]] = {
    S.REQUESTED: {S.APPROVED, S.REFUNDING, S.REJECTED, S.CLOSED},
    S.APPROVED: {S.RETURN_SHIPPED, S.CLOSED},
    S.RETURN_SHIPPED: {S.REFUNDING, S.RETURN_RECEIVED, S.REJECTED},
    S.RETURN_RECEIVED: {S.EXCHANGED},
    S.REFUNDING: {S.REFUNDED},
    S.REJECTED: {S.DISPUTED, S.CLOSED},
    S.DISPUTED: {S.REFUNDING, S.CLOSED},
    S.REFUNDED: set(),
    S.EXCHANGED: set(),
    S.CLOSED: set(),
}

# What each side is told when a request reaches a status (translated when shown).
NOTICES: dict[str, tuple[str | None, str | None]] = {
    S.REQUESTED: (None, gettext_noop("New after-sales request")),
    S.APPROVED: (gettext_noop("Your request was approved: please ship the goods back"), None),
    S.RETURN_SHIPPED: (None, gettext_noop("The consumer shipped the goods back")),
    S.RETURN_RECEIVED: (gettext_noop("The brand received your goods; the exchange is on its way"), None),
    S.REFUNDING: (gettext_noop("Your refund is being processed"), None),
    S.REFUNDED: (gettext_noop("Your refund was paid"), gettext_noop("A refund was paid")),
    S.EXCHANGED: (gettext_noop("Your exchange goods were shipped"), None),
    S.REJECTED: (
        gettext_noop("The brand rejected your request; you may ask the platform to arbitrate"),
        None,
    ),
    S.DISPUTED: (None, gettext_noop("The consumer asked the platform to arbitrate")),
    S.CLOSED: (gettext_noop("Your request was closed"), gettext_noop("An after-sales request was closed")),
}


class AftersalesError(ValidationError):
    """A request the after-sales rules refuse; the message is for the person who made it."""


def notify(request: AftersaleRequest, *, consumer: str | None = None, brand: str | None = None) -> None:
    now = clock.now()
    if consumer:
        Notification.objects.create(
            request=request, user_id=request.consumer_id, text=consumer, created_at=now
        )
    if brand:
        Notification.objects.create(request=request, brand_id=request.brand_id, text=brand, created_at=now)


def event_payload(request: AftersaleRequest) -> dict:
    return {
        "request_id": request.pk,
        "request_no": request.request_no,
        "order_id": request.order_id,
        "line_id": request.line_id,
        "brand_id": request.brand_id,
        "kind": request.kind,
        "status": request.status,
        "amount": request.amount,
        "refunded_amount": request.refunded_amount,
    }


def record_created(request: AftersaleRequest, *, actor) -> None:
    Transition.objects.create(
        request=request,
        from_status="",
        to_status=request.status,
        actor=actor,
        actor_label="consumer",
        at=request.created_at,
    )
    notify(request, brand=NOTICES[S.REQUESTED][1])
    publish("aftersale.created", event_payload(request), aggregate=f"aftersale:{request.pk}")


def move(
    request: AftersaleRequest,
    to: str,
    *,
    actor=None,
    actor_label: str,
    note: str = "",
    due_at=None,
    fields: tuple[str, ...] = (),
    is_decision: bool = True,
) -> AftersaleRequest:
    """Move a (locked) request to ``to``; a clear error and no change when not allowed."""
    if to not in ALLOWED[request.status]:
        raise AftersalesError(
            _("After-sales request %(no)s is “%(status)s”; it cannot become “%(to)s”.")
            % {"no": request.request_no, "status": request.get_status_display(), "to": S(to).label}
        )
    now = clock.now()
    Transition.objects.create(
        request=request,
        from_status=request.status,
        to_status=to,
        actor=actor,
        actor_label=actor_label,
        note=note[:200],
        at=now,
    )
    request.status = to
    request.due_at = due_at
    update = ["status", "due_at", *fields]
    if note and is_decision:
        request.decision = note[:200]
        update.append("decision")
    if to in FINAL_STATUSES:
        request.resolved_at = now
        update.append("resolved_at")
    request.save(update_fields=update)
    to_consumer, to_brand = NOTICES.get(to, (None, None))
    notify(request, consumer=to_consumer, brand=to_brand)
    if to in FINAL_STATUSES:
        publish("aftersale.resolved", event_payload(request), aggregate=f"aftersale:{request.pk}")
    return request
