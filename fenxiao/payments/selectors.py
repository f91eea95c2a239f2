"""Reads of the payments app (the reconciliation pages)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast

from .models import BrandFundsFlow, BrandPaymentSetting, FundsFlow, ReconciliationBreak, ReconciliationRun


@dataclass(frozen=True)
class BrandPaymentFacts:
    """What a payment for some brands needs to know of them: the gateways they chose (one per brand
    that chose one) and which of them are on the service-provider funds flow."""

    chosen_gateways: list[str]
    service_provider_brands: set[int]


def brand_payment_facts(brand_ids: Iterable[int]) -> BrandPaymentFacts:
    """Both facts in one statement (a ``UNION ALL`` of the two settings tables): checkout's hot
    path pays one query for them, not two."""
    brand_ids = set(brand_ids)
    if not brand_ids:
        return BrandPaymentFacts([], set())
    gateways = (
        BrandPaymentSetting.objects.filter(brand_id__in=brand_ids)
        .annotate(fact=Value("gateway", output_field=CharField()), value=F("gateway"))
        .values_list("fact", "value")
    )
    partner = (
        BrandFundsFlow.objects.filter(brand_id__in=brand_ids, flow=FundsFlow.SERVICE_PROVIDER)
        .annotate(fact=Value("partner", output_field=CharField()), value=Cast("brand_id", CharField()))
        .values_list("fact", "value")
    )
    rows = list(gateways.union(partner, all=True))
    return BrandPaymentFacts(
        chosen_gateways=[value for fact, value in rows if fact == "gateway"],
        service_provider_brands={int(value) for fact, value in rows if fact == "partner"},
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
