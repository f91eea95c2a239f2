"""After-sales (list, decide) and members (list, detail, tags), through the after-sales and CRM
apps' own services and selectors (never their tables directly for writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from fenxiao.aftersales import selectors as aftersales_selectors
from fenxiao.aftersales import services as aftersales
from fenxiao.aftersales.models import AftersaleRequest, Status
from fenxiao.crm import members as crm
from fenxiao.crm import selectors as crm_selectors
from fenxiao.crm.models import Member

from ..errors import ApiError
from .auth import actor_of, brand_id_of, scoped
from .schemas import ERRORS, id_page

router = Router()


# ---- after-sales ----------------------------------------------------------------------------


class AftersaleOut(Schema):
    request_no: str
    order_no: str
    line_id: int | None
    kind: str
    reason: str
    description: str
    quantity: int = Field(..., description="units of the line; 0: all")
    amount: int = Field(..., description="requested, fen")
    approved_amount: int
    refunded_amount: int
    status: str
    due_at: datetime | None
    decision: str
    created_at: datetime
    resolved_at: datetime | None

    @staticmethod
    def resolve_order_no(obj: AftersaleRequest) -> str:
        return obj.order.order_no


class AftersalePage(Schema):
    data: list[AftersaleOut]
    next_cursor: str | None


class DecisionIn(Schema):
    action: Literal["approve", "reject", "confirm_return"] = Field(
        ...,
        description="approve (refund-only requests are refunded at once), reject (needs a note), "
        "confirm_return (the goods came back)",
    )
    note: str = Field("", max_length=200)


def _aftersale(brand_id: int, request_no: str) -> AftersaleRequest:
    request = aftersales_selectors.brand_request_by_no(brand_id, request_no)
    if request is None:
        raise ApiError(404, "not_found", "No such after-sales request.")
    return request


@router.get(
    "/aftersales", response={200: AftersalePage, **ERRORS}, tags=["aftersales"], **scoped("aftersales:read")
)
def list_aftersales(
    request: HttpRequest, status: Status | None = None, cursor: str | None = None, limit: int = 20
):
    """After-sales requests of the brand, newest first."""
    return id_page(aftersales_selectors.brand_requests(brand_id_of(request), status=status), cursor, limit)


@router.post(
    "/aftersales/{request_no}/decision",
    response={200: AftersaleOut, **ERRORS},
    tags=["aftersales"],
    **scoped("aftersales:write"),
)
def decide_aftersale(request: HttpRequest, request_no: str, payload: DecisionIn):
    """Decide a request with the after-sales rules of the console; 400 when its state or the
    rules do not allow the action."""
    actor = actor_of(request)
    found = _aftersale(actor.brand_id, request_no)
    if payload.action == "approve":
        aftersales.approve(actor=actor, request_id=found.pk, note=payload.note)
    elif payload.action == "reject":
        aftersales.reject(actor=actor, request_id=found.pk, note=payload.note)
    else:
        aftersales.confirm_return(actor=actor, request_id=found.pk)
    return _aftersale(actor.brand_id, request_no)


# ---- members --------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    display_name: str
    source_channel: str
    source_distributor_id: int | None
    level: str | None
    growth: int
    order_count: int
    total_paid: int = Field(..., description="fen, net of refunds")
    points_balance: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    created_at: datetime
    tags: list[str]

    @staticmethod
    def resolve_level(obj: Member) -> str | None:
        return obj.level.name if obj.level_id else None

    @staticmethod
    def resolve_tags(obj: Member) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


class MemberPage(Schema):
    data: list[MemberOut]
    next_cursor: str | None


class TagIn(Schema):
    tag: str = Field(..., min_length=1, max_length=30)


def _member(brand_id: int, member_id: int) -> Member:
    member = crm_selectors.brand_member_with_tags(brand_id, member_id)
    if member is None:
        raise ApiError(404, "not_found", "No such member.")
    return member


@router.get("/members", response={200: MemberPage, **ERRORS}, tags=["members"], **scoped("members:read"))
def list_members(request: HttpRequest, tag: str | None = None, cursor: str | None = None, limit: int = 20):
    """Members of the brand, newest first; ``tag`` keeps those with that tag."""
    return id_page(crm_selectors.brand_members_with_tags(brand_id_of(request), tag=tag), cursor, limit)


@router.get(
    "/members/{member_id}", response={200: MemberOut, **ERRORS}, tags=["members"], **scoped("members:read")
)
def get_member(request: HttpRequest, member_id: int):
    return _member(brand_id_of(request), member_id)


@router.post(
    "/members/{member_id}/tags",
    response={200: MemberOut, **ERRORS},
    tags=["members"],
    **scoped("members:write"),
)
def tag_member(request: HttpRequest, member_id: int, payload: TagIn):
    """Add a tag (created in the brand when new) to a member."""
    actor = actor_of(request)
    _member(actor.brand_id, member_id)
    crm.tag_members(actor=actor, member_ids=[member_id], tag_name=payload.tag)
    return _member(actor.brand_id, member_id)
