"""RFM scores and saved segments.

RFM scores are 1..5 (0 = never ordered) by fixed, documented cut-offs, computed in three
set-based UPDATEs per brand (no row-by-row loop, fine over millions of members):

- R (recency of the last order): ≤30 days 5, ≤90 4, ≤180 3, ≤365 2, older 1.
- F (orders): ≥10 5, ≥5 4, ≥3 3, ≥2 2, 1 → 1.
- M (total paid): ≥¥5000 5, ≥¥2000 4, ≥¥500 3, ≥¥100 2, more than 0 → 1.

A segment stores filters; :func:`members_in_segment` turns them into a query on indexed columns
(usable as a coupon audience by the marketing plugins).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm
from fenxiao.core import clock

from .models import Member, MemberTag, Segment

R_DAYS = [(30, 5), (90, 4), (180, 3), (365, 2)]
F_COUNTS = [(10, 5), (5, 4), (3, 3), (2, 2), (1, 1)]
M_FEN = [(500_000, 5), (200_000, 4), (50_000, 3), (10_000, 2), (1, 1)]
FILTER_KEYS = {
    "level_ids",
    "tag_ids",
    "min_paid",
    "max_paid",
    "ordered_within_days",
    "not_ordered_days",
    "distributor_id",
    "min_rfm_r",
    "min_rfm_f",
    "min_rfm_m",
    "q",
}


def compute_rfm(brand_id: int | None = None) -> int:
    now = clock.now()
    members = Member.objects.all() if brand_id is None else Member.objects.filter(brand_id=brand_id)
    r_case = Case(
        *[When(last_order_at__gte=now - timedelta(days=days), then=Value(score)) for days, score in R_DAYS],
        When(last_order_at__isnull=False, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    f_case = Case(
        *[When(order_count__gte=n, then=Value(score)) for n, score in F_COUNTS],
        default=Value(0),
        output_field=IntegerField(),
    )
    m_case = Case(
        *[When(total_paid__gte=n, then=Value(score)) for n, score in M_FEN],
        default=Value(0),
        output_field=IntegerField(),
    )
    return members.update(rfm_r=r_case, rfm_f=f_case, rfm_m=m_case)


def filter_members(qs: QuerySet[Member], filters: dict, *, page: bool = False) -> QuerySet[Member]:
    """Apply segment / list filters (already validated) to ``qs``.

    ``page``: the query feeds a newest-first page (``ORDER BY id DESC LIMIT 50``); spend is then
    compared as ``total_paid + 0`` so the planner walks an id-ordered index and stops after 50
    rows instead of range-scanning the spend index and sorting a large share of the brand."""
    now = clock.now()
    if page:
        qs = qs.alias(paid_for_page=F("total_paid") + 0)
    paid = "paid_for_page" if page else "total_paid"
    if filters.get("level_ids"):
        qs = qs.filter(level_id__in=filters["level_ids"])
    for tag_id in filters.get("tag_ids") or []:
        # driven from the (tag, member) unique index, not by probing every member of the brand
        qs = qs.filter(pk__in=MemberTag.objects.filter(tag_id=tag_id).values("member_id"))
    if filters.get("min_paid") is not None:
        qs = qs.filter(**{f"{paid}__gte": filters["min_paid"]})
    if filters.get("max_paid") is not None:
        qs = qs.filter(**{f"{paid}__lte": filters["max_paid"]})
    if filters.get("ordered_within_days") is not None:
        qs = qs.filter(last_order_at__gte=now - timedelta(days=filters["ordered_within_days"]))
    if filters.get("not_ordered_days") is not None:
        cutoff = now - timedelta(days=filters["not_ordered_days"])
        qs = qs.filter(Q(last_order_at__lt=cutoff) | Q(last_order_at__isnull=True))
    if filters.get("distributor_id"):
        qs = qs.filter(source_distributor_id=filters["distributor_id"])
    for key, field in (("min_rfm_r", "rfm_r"), ("min_rfm_f", "rfm_f"), ("min_rfm_m", "rfm_m")):
        if filters.get(key):
            qs = qs.filter(**{f"{field}__gte": filters[key]})
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(_search(q))
    return qs


def _search(q: str) -> Q:
    """A phone number or e-mail address finds the account through its unique index; anything else
    is a name prefix, written as a range so both databases use the (brand, name) index."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if q.isdigit():
        return Q(consumer_id__in=users.filter(phone=q).values("pk"))
    if "@" in q:
        return Q(consumer_id__in=users.filter(email__in={q, q.lower()}).values("pk"))
    return Q(display_name__gte=q, display_name__lt=q + "\U0010ffff")


def members_in_segment(segment: Segment) -> QuerySet[Member]:
    """The members of ``segment``, always inside its own brand."""
    return filter_members(Member.objects.filter(brand_id=segment.brand_id), segment.filters)


def clean_filters(raw: dict) -> dict:
    """Validate filters typed by a person: unknown keys and non-numbers are a clear error."""
    cleaned: dict = {}
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            raise ValidationError(_("Unknown filter: %(key)s") % {"key": key})
        if value in (None, "", []):
            continue
        if key == "q":
            cleaned[key] = str(value)[:60]
        elif key in {"level_ids", "tag_ids"}:
            try:
                cleaned[key] = [int(v) for v in value]
            except (TypeError, ValueError) as exc:
                raise ValidationError(_("Choose levels and tags from the lists.")) from exc
        else:
            try:
                number = int(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value}) from exc
            if number < 0:
                raise ValidationError(_("Numbers in filters cannot be negative."))
            cleaned[key] = number
    return cleaned


@transaction.atomic
def save_segment(*, actor: BrandStaff, name: str, filters: dict) -> Segment:
    if not actor.can(Perm.MEMBERS_VIEW):
        raise PermissionDenied(_("Your role does not allow this."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the segment a name."))
    if Segment.objects.filter(brand_id=actor.brand_id, name=name).exists():
        raise ValidationError(_("A segment with this name already exists."))
    return Segment.objects.create(brand_id=actor.brand_id, name=name[:60], filters=clean_filters(filters))
