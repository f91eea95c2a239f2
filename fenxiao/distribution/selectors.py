"""Distribution reads.  A distributor's reads take the distributor and return only its own rows
(store, customers, links, earnings); a brand's take the brand id and return only the brand's."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, Q, QuerySet, Sum

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.accounts.models import Brand, User
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.ledger.selectors import distributor_wallet

from .models import (
    Commission,
    CustomerBinding,
    DistributorLevel,
    DistributorMembership,
    DistributorNotice,
    LinkKind,
    MembershipStatus,
    ShareLink,
    StoreSkuPrice,
    Withdrawal,
)

# ---- the distributor centre (the signed-in distributor's own rows) ---------------------------


def memberships_with_wallets(distributor: User) -> list[DistributorMembership]:
    """The distributor's memberships (any status), each with ``wallet``: its balances at the brand."""
    memberships = list(DistributorMembership.objects.filter(distributor=distributor).select_related("brand"))
    for membership in memberships:
        membership.wallet = distributor_wallet(brand_id=membership.brand_id, user_id=distributor.pk)
    return memberships


def brands_to_join(*, joined: set[int]) -> QuerySet[Brand]:
    """Approved brands other than ``joined`` (brand ids), with their distribution programs."""
    return accounts_selectors.approved_brands().exclude(pk__in=joined).select_related("distribution_program")


def distributor_notices(distributor: User, *, limit: int = 10) -> QuerySet[DistributorNotice]:
    return DistributorNotice.objects.filter(distributor=distributor)[:limit]


def distributor_withdrawals(distributor: User, *, limit: int = 20) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(distributor=distributor).select_related("brand")[:limit]


def approved_membership(distributor: User, brand_id: int) -> DistributorMembership | None:
    """The distributor's approved membership at the brand (with the brand), or None."""
    return (
        DistributorMembership.objects.select_related("brand")
        .filter(brand_id=brand_id, distributor=distributor, status=MembershipStatus.APPROVED)
        .first()
    )


def store_prices(distributor: User, brand_id: int) -> dict[int, int]:
    """The distributor's own store prices at the brand: SKU id → price (fen)."""
    return dict(
        StoreSkuPrice.objects.filter(distributor=distributor, sku__brand_id=brand_id).values_list(
            "sku_id", "price"
        )
    )


def picked_products(distributor: User, brand_id: int) -> set[Product]:
    """The products of the brand the distributor put in its store (priced at least one SKU of)."""
    return {
        sp.sku.product
        for sp in StoreSkuPrice.objects.filter(
            distributor=distributor, sku__brand_id=brand_id
        ).select_related("sku__product")
    }


def own_share_link(distributor: User, code: str) -> ShareLink | None:
    """One of the distributor's own share links (with brand, product and distributor), or None."""
    return (
        ShareLink.objects.select_related("brand", "product", "distributor")
        .filter(code=code, distributor=distributor)
        .first()
    )


def poster_price(distributor: User, link: ShareLink) -> int | None:
    """The price a product poster shows: the distributor's lowest store price for the product,
    else the product's lowest retail price; None for a link without a product."""
    if not link.product_id:
        return None
    prices = list(
        StoreSkuPrice.objects.filter(distributor=distributor, sku__product_id=link.product_id).values_list(
            "price", flat=True
        )
    )
    return min(prices) if prices else link.product.min_retail_price


def distributor_customers(distributor: User, *, limit: int = 200) -> QuerySet[CustomerBinding]:
    return (
        CustomerBinding.objects.filter(distributor=distributor)
        .select_related("consumer", "brand")
        .order_by("-bound_at")[:limit]
    )


def distributor_invitees(inviter: User) -> QuerySet[DistributorMembership]:
    """Memberships (at any brand) of the distributors ``inviter`` invited."""
    return (
        DistributorMembership.objects.filter(inviter=inviter)
        .select_related("distributor__distributor", "brand")
        .order_by("-id")
    )


# ---- public: share links and micro-stores ---------------------------------------------------


def share_link_for_redirect(code: str) -> ShareLink | None:
    """The link of ``code`` with only the columns the redirect needs (the hot path)."""
    return (
        ShareLink.objects.filter(code=code)
        .only("pk", "code", "kind", "brand_id", "distributor_id", "product_id")
        .first()
    )


def store_link(code: str) -> ShareLink | None:
    """A micro-store link (with brand and the distributor's profile), or None."""
    return (
        ShareLink.objects.select_related("brand", "distributor__distributor")
        .filter(code=code, kind=LinkKind.STORE)
        .first()
    )


def micro_store_items(*, distributor_id: int, brand_id: int) -> list[Sku]:
    """The active SKUs of goods on sale the distributor picked at the brand (product and brand
    loaded), by product; the page prices them for its visitor (``trade.selectors``)."""
    return list(
        Sku.objects.filter(
            store_prices__distributor_id=distributor_id,
            brand_id=brand_id,
            is_active=True,
            product__status=ProductStatus.ON_SALE,
        )
        .select_related("product__brand")
        .order_by("product_id", "id")
    )


# ---- the brand (console and API) ------------------------------------------------------------


def brand_levels(brand_id: int) -> QuerySet[DistributorLevel]:
    return DistributorLevel.objects.filter(brand_id=brand_id)


def brand_distributors_with_sales(brand_id: int) -> list[DistributorMembership]:
    """The brand's memberships, each with ``sales`` and ``commission`` (sums over the brand's
    orders only; commission net of what refunds reversed or clawed back) and ``customers`` (how many are bound to the distributor at the brand)."""
    memberships = list(
        DistributorMembership.objects.filter(brand_id=brand_id)
        .select_related("distributor", "distributor__distributor", "inviter")
        .annotate(
            sales=Sum(
                "distributor__commissions__base_amount",
                filter=Q(distributor__commissions__order__brand_id=brand_id),
            ),
            commission=Sum(
                F("distributor__commissions__amount") - F("distributor__commissions__reversed_amount"),
                filter=Q(distributor__commissions__order__brand_id=brand_id),
            ),
        )
        .order_by("status", "-id")
    )
    customers = (
        CustomerBinding.objects.filter(brand_id=brand_id).values("distributor").annotate(n=Count("id"))
    )
    counts = {row["distributor"]: row["n"] for row in customers}
    for membership in memberships:
        membership.customers = counts.get(membership.distributor_id, 0)
    return memberships


def net_commissions(
    *,
    start: datetime,
    end: datetime,
    by: str,
    brand_id: int | None = None,
    distributor_id: int | None = None,
) -> dict[str, int]:
    """{distributor or brand id as text (``by``: "distributor" or "brand"): fen} of the commissions
    recorded in [start, end), net of what refunds reversed or clawed back since (the data cube's
    tables).  ``brand_id`` / ``distributor_id`` narrow to one brand's orders / one distributor."""
    rows = Commission.objects.filter(created_at__gte=start, created_at__lt=end)
    if brand_id is not None:
        rows = rows.filter(order__brand_id=brand_id)
    if distributor_id is not None:
        rows = rows.filter(distributor_id=distributor_id)
    group = {"distributor": "distributor_id", "brand": "order__brand_id"}[by]
    totals = rows.values(group).annotate(net=Sum(F("amount") - F("reversed_amount"))).order_by()
    return {str(row[group]): int(row["net"] or 0) for row in totals}


def brand_bindings(brand_id: int, *, limit: int = 500) -> QuerySet[CustomerBinding]:
    return (
        CustomerBinding.objects.filter(brand_id=brand_id)
        .select_related("consumer", "distributor", "distributor__distributor")
        .order_by("-bound_at")[:limit]
    )


def brand_withdrawals(brand_id: int, *, limit: int = 200) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(brand_id=brand_id).select_related(
        "distributor", "distributor__distributor"
    )[:limit]


def brand_memberships(brand_id: int, *, status: str | None = None) -> QuerySet[DistributorMembership]:
    """The brand's memberships with the distributors' profiles, optionally of one status."""
    memberships = DistributorMembership.objects.filter(brand_id=brand_id).select_related(
        "distributor__distributor"
    )
    return memberships.filter(status=status) if status else memberships


def brand_membership(brand_id: int, membership_id: int) -> DistributorMembership | None:
    return brand_memberships(brand_id).filter(pk=membership_id).first()


def brand_commissions(
    brand_id: int, *, status: str | None = None, distributor_id: int | None = None
) -> QuerySet[Commission]:
    """Commissions on the brand's orders (with the order), optionally of one status or distributor."""
    commissions = Commission.objects.filter(order__brand_id=brand_id).select_related("order")
    if status:
        commissions = commissions.filter(status=status)
    if distributor_id is not None:
        commissions = commissions.filter(distributor_id=distributor_id)
    return commissions
