"""Reads of the payments app (the reconciliation pages)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from .models import BrandFundsFlow, BrandPaymentSetting, FundsFlow, ReconciliationBreak, ReconciliationRun


@dataclass(frozen=True)
class BrandPaymentFacts:
    """What a payment for some brands needs to know of them: the gateways they chose (one per brand
    that chose one) and which of them are on the service-provider funds flow."""

    chosen_gateways: list[str]
    service_provider_brands: set[int]


def brand_payment_facts(brand_ids: Iterable[int]) -> BrandPaymentFacts:
    """Both facts in one statement (a ``UNION ALL`` of the two settings tables): checkout's hot
    path pays one query for them, not two.  Written out: the ORM's union of two annotated
    querysets cost several times the query to build, on every checkout."""
    brand_ids = sorted(set(brand_ids))
    if not brand_ids:
        return BrandPaymentFacts([], set())
    ids = ", ".join(["%s"] * len(brand_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT gateway, NULL AS brand_id FROM {BrandPaymentSetting._meta.db_table} WHERE brand_id IN ({ids})"
            f" UNION ALL SELECT NULL, brand_id FROM {BrandFundsFlow._meta.db_table}"
            f" WHERE brand_id IN ({ids}) AND flow = %s",
            [*brand_ids, *brand_ids, FundsFlow.SERVICE_PROVIDER],
        )
        rows = cursor.fetchall()
    return BrandPaymentFacts(
        chosen_gateways=[gateway for gateway, _brand in rows if gateway is not None],
        service_provider_brands={brand for _gateway, brand in rows if brand is not None},
    )


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.order_by("-bill_date", "-id")


def reconciliation_breaks(
    *, run_id: int | None = None, open_only: bool = True
) -> QuerySet[ReconciliationBreak]:
    breaks = ReconciliationBreak.objects.select_related("run", "resolved_by").order_by(
        "-run__bill_date", "id"
    )
    if run_id is not None:
        breaks = breaks.filter(run_id=run_id)
    if open_only:
        breaks = breaks.filter(resolved_at__isnull=True)
    return breaks
