"""Reads of the CRM, each bounded: lists are keyset-paginated on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db.models import QuerySet

from .models import Member, MemberLevel, PointsEntry, Segment, Tag
from .segments import filter_members

PAGE = 50


def brand_members(brand_id: int) -> QuerySet[Member]:
    return Member.objects.filter(brand_id=brand_id)


def brand_members_with_tags(brand_id: int, *, tag: str | None = None) -> QuerySet[Member]:
    """The brand's members with level and tags, optionally only those tagged ``tag``."""
    members = brand_members(brand_id).select_related("level").prefetch_related("tags")
    return members.filter(tags__name=tag) if tag else members


def brand_member_with_tags(brand_id: int, member_id: int) -> Member | None:
    return brand_members_with_tags(brand_id).filter(pk=member_id).first()


def member_page(
    brand_id: int, filters: dict, *, segment: Segment | None = None, after: str = "", limit: int = PAGE
) -> tuple[list[Member], str]:
    """One page of the brand's members, newest first, and the cursor of the next page ("" if
    none).  The cursor is the id of the last row (ids grow with creation time)."""
    qs = brand_members(brand_id)
    if segment is not None:
        qs = filter_members(qs.filter(brand_id=segment.brand_id), segment.filters, page=True)
    qs = filter_members(qs, filters, page=True)
    if after.isdigit():
        qs = qs.filter(pk__lt=int(after))
    rows = list(qs.select_related("consumer", "level").order_by("-id")[: limit + 1])
    cursor = str(rows[limit - 1].pk) if len(rows) > limit else ""
    return rows[:limit], cursor


def member_of_brand(brand_id: int, member_id: int) -> Member:
    return (
        Member.objects.select_related("consumer", "level", "source_distributor")
        .prefetch_related("tags")
        .get(pk=member_id, brand_id=brand_id)
    )


def bound_distributor(member: Member):
    """The distributor the member is bound to now (distribution's binding), or None."""
    from fenxiao.distribution.models import CustomerBinding

    if member.consumer_id is None:
        return None
    binding = (
        CustomerBinding.objects.filter(brand_id=member.brand_id, consumer_id=member.consumer_id)
        .select_related("distributor")
        .first()
    )
    return binding.distributor if binding else None


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    text: str


def timeline(member: Member, limit: int = 50) -> list[TimelineItem]:
    """Visits through share links, orders, after-sales requests and points, newest first."""
    from fenxiao.distribution.models import Visit
    from fenxiao.trade.models import Order

    items: list[TimelineItem] = []
    if member.consumer_id:
        for visit in Visit.objects.filter(
            visitor_id=member.consumer_id, link__brand_id=member.brand_id
        ).order_by("-at")[:limit]:
            items.append(TimelineItem(visit.at, "visit", visit.link.code if visit.link_id else ""))
        for order in Order.objects.filter(brand_id=member.brand_id, consumer_id=member.consumer_id).order_by(
            "-created_at"
        )[:limit]:
            items.append(
                TimelineItem(order.created_at, "order", f"{order.order_no} {order.get_status_display()}")
            )
        if apps.is_installed("fenxiao.aftersales"):
            try:
                request_model = apps.get_model("aftersales", "AftersaleRequest")
            except LookupError:
                request_model = None
            if request_model is not None:
                for req in request_model.objects.filter(
                    order__brand_id=member.brand_id, consumer_id=member.consumer_id
                ).order_by("-created_at")[:limit]:
                    items.append(TimelineItem(req.created_at, "aftersales", req.get_status_display()))
    for entry in PointsEntry.objects.filter(member=member)[:limit]:
        items.append(TimelineItem(entry.at, "points", f"{entry.get_kind_display()} {entry.delta:+d}"))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def levels_of(brand_id: int) -> QuerySet[MemberLevel]:
    return MemberLevel.objects.filter(brand_id=brand_id)


def tags_of(brand_id: int) -> QuerySet[Tag]:
    return Tag.objects.filter(brand_id=brand_id)


def segments_of(brand_id: int) -> QuerySet[Segment]:
    return Segment.objects.filter(brand_id=brand_id)


def distributor_members(brand_id: int, distributor_id: int, limit: int = 200) -> list[Member]:
    """The members bound to a distributor now (distribution's binding), for its own centre;
    phones are masked by the template through ``User.masked_phone``."""
    from django.db.models import Exists, OuterRef

    from fenxiao.distribution.models import CustomerBinding

    bound = CustomerBinding.objects.filter(
        brand_id=brand_id, consumer_id=OuterRef("consumer_id"), distributor_id=distributor_id
    )
    return list(
        Member.objects.filter(brand_id=brand_id)
        .filter(Exists(bound))
        .select_related("consumer", "level")
        .order_by("-id")[:limit]
    )
