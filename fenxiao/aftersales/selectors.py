"""After-sales reads, scoped to who asks: the consumer's own requests, a brand's, the platform's disputes."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from fenxiao.core import clock

from .models import OPEN_STATUSES, AftersaleRequest, Evidence, Notification, Status


def _base() -> QuerySet[AftersaleRequest]:
    return AftersaleRequest.objects.select_related("order", "line", "brand", "consumer")


def _detail(qs: QuerySet[AftersaleRequest], request_id: int) -> AftersaleRequest | None:
    return (
        qs.filter(pk=request_id)
        .prefetch_related("transitions", "messages__photos", "messages__author", "photos")
        .first()
    )


def consumer_requests(user) -> QuerySet[AftersaleRequest]:
    return (
        _base()
        .filter(consumer=user)
        .annotate(
            unread=Count("notifications", filter=Q(notifications__user=user, notifications__read_at=None))
        )
    )


def consumer_request(user, request_id: int) -> AftersaleRequest | None:
    return _detail(_base().filter(consumer=user), request_id)


def brand_queue(brand_id: int, *, status: str = "") -> QuerySet[AftersaleRequest]:
    """Open requests first, soonest deadline first; with the brand's unread notices per request."""
    qs = _base().filter(brand_id=brand_id)
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    return qs.annotate(
        unread=Count("notifications", filter=Q(notifications__brand_id=brand_id, notifications__read_at=None))
    ).order_by("due_at", "-id")


def brand_request(brand_id: int, request_id: int) -> AftersaleRequest | None:
    return _detail(_base().filter(brand_id=brand_id), request_id)


def brand_requests(brand_id: int, *, status: str | None = None) -> QuerySet[AftersaleRequest]:
    """Every request of the brand (with its order), optionally of one status."""
    requests = AftersaleRequest.objects.filter(brand_id=brand_id).select_related("order")
    return requests.filter(status=status) if status else requests


def open_requests_by_order(brand_id: int, order_ids: list[int]) -> dict[int, AftersaleRequest]:
    """{order id: its oldest open after-sales request} among the brand's ``order_ids`` (one
    query): the console flags them on every order view."""
    found: dict[int, AftersaleRequest] = {}
    for request in AftersaleRequest.objects.filter(
        brand_id=brand_id, order_id__in=order_ids, status__in=OPEN_STATUSES
    ).order_by("id"):
        found.setdefault(request.order_id, request)
    return found


def brand_request_by_no(brand_id: int, request_no: str) -> AftersaleRequest | None:
    return brand_requests(brand_id).filter(request_no=request_no).first()


def platform_queue(*, status: str = Status.DISPUTED) -> QuerySet[AftersaleRequest]:
    return _base().filter(status=status).order_by("id")


def dispute_count() -> int:
    """Requests waiting for the platform's arbitration."""
    return AftersaleRequest.objects.filter(status=Status.DISPUTED).count()


def platform_request(request_id: int) -> AftersaleRequest | None:
    return _detail(_base(), request_id)


def mark_read(request: AftersaleRequest, *, user=None, brand_id: int | None = None) -> None:
    notices = Notification.objects.filter(request=request, read_at=None)
    notices = notices.filter(user=user) if user is not None else notices.filter(brand_id=brand_id)
    notices.update(read_at=clock.now())


def unread_count(*, user=None, brand_id: int | None = None) -> int:
    notices = Notification.objects.filter(read_at=None)
    return (notices.filter(user=user) if user is not None else notices.filter(brand_id=brand_id)).count()


def photo_for(user, photo_id: int) -> Evidence | None:
    """A photo, for the request's consumer, its brand's after-sales staff, or platform staff."""
    from fenxiao.accounts.models import BrandStaff
    from fenxiao.accounts.roles import Perm

    photo = Evidence.objects.select_related("request").filter(pk=photo_id).first()
    if photo is None or not user.is_authenticated:
        return None
    if user.is_staff or photo.request.consumer_id == user.pk:
        return photo
    staff = BrandStaff.objects.filter(brand_id=photo.request.brand_id, user=user).first()
    return photo if staff and staff.can(Perm.AFTERSALES_HANDLE) else None


def open_amount_of_settled_orders(brand_id: int) -> int:
    """What the brand's open after-sales requests (disputes included) on settled orders may still
    refund, in fen: a refund there is clawed back from the brand's payable (brand payouts hold it)."""
    from django.db.models import F, Sum

    total = AftersaleRequest.objects.filter(
        order__brand_id=brand_id, order__settled_at__isnull=False, status__in=OPEN_STATUSES
    ).aggregate(t=Sum(F("amount") - F("refunded_amount")))["t"]
    return int(total or 0)
