"""Distributors (list, approve) and commissions (list)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from fenxiao.distribution import selectors
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import (
    Commission,
    CommissionStatus,
    DistributorMembership,
    MembershipStatus,
)

from ..errors import ApiError
from .auth import actor_of, brand_id_of, scoped
from .schemas import ERRORS, id_page

router = Router()


class DistributorOut(Schema):
    id: int = Field(..., description="membership id")
    user_id: int = Field(..., alias="distributor_id")
    store_name: str
    status: str
    level_id: int | None
    inviter_id: int | None
    applied_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_store_name(obj: DistributorMembership) -> str:
        profile = getattr(obj.distributor, "distributor", None)
        return profile.store_name if profile else ""


class DistributorPage(Schema):
    data: list[DistributorOut]
    next_cursor: str | None


class CommissionOut(Schema):
    id: int
    order_no: str
    distributor_id: int
    level: int
    base_amount: int
    rate_bps: int | None = Field(
        None, description="the rate applied; null when the order's lines applied different rates"
    )
    amount: int
    reversed_amount: int
    status: str
    created_at: datetime
    available_at: datetime | None

    @staticmethod
    def resolve_order_no(obj: Commission) -> str:
        return obj.order.order_no


class CommissionPage(Schema):
    data: list[CommissionOut]
    next_cursor: str | None


@router.get(
    "/distributors",
    response={200: DistributorPage, **ERRORS},
    tags=["distributors"],
    **scoped("distributors:read"),
)
def list_distributors(
    request: HttpRequest, status: MembershipStatus | None = None, cursor: str | None = None, limit: int = 20
):
    return id_page(selectors.brand_memberships(brand_id_of(request), status=status), cursor, limit)


@router.post(
    "/distributors/{membership_id}/approve",
    response={200: DistributorOut, **ERRORS},
    tags=["distributors"],
    **scoped("distributors:write"),
)
def approve_distributor(request: HttpRequest, membership_id: int):
    """Approve an application (status ``applied``); 409 in any other status."""
    actor = actor_of(request)
    membership = selectors.brand_membership(actor.brand_id, membership_id)
    if membership is None:
        raise ApiError(404, "not_found", "No such distributor.")
    if membership.status != MembershipStatus.APPLIED:
        raise ApiError(409, "invalid_state", f"This distributor is {membership.status}, not applied.")
    distribution.decide_membership(actor=actor, membership_id=membership.pk, action="approve")
    return selectors.brand_membership(actor.brand_id, membership.pk)


@router.get(
    "/commissions",
    response={200: CommissionPage, **ERRORS},
    tags=["commissions"],
    **scoped("commissions:read"),
)
def list_commissions(
    request: HttpRequest,
    status: CommissionStatus | None = None,
    distributor_id: int | None = None,
    cursor: str | None = None,
    limit: int = 20,
):
    query = selectors.brand_commissions(brand_id_of(request), status=status, distributor_id=distributor_id)
    return id_page(query, cursor, limit)
