"""Distribution reads.  A distributor's reads take the distributor and return only its own rows
(store, customers, links, earnings); a brand's take the brand id and return only the brand's."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, Q, QuerySet, Sum

from fenxiao.accounts import selectors as accounts_selectors
from fenxiao.accounts.models import Brand, User
from fenxiao.catalog.models import Product, ProductStatus, Sku
from fenxiao.core import hotcache
from fenxiao.ledger.selectors import distributor_wallet

from .models import (
    Commission,
    CustomerBinding,
    DistributorLevel,
    DistributorMembership,
    DistributorNotice,
    LinkKind,
    Material,
    MembershipStatus,
    ShareLink,
    StoreDecoration,
    StoreSection,
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


def distributor_invitees(inviter: User) -> list[DistributorMembership]:
    """Memberships (at any brand) of the distributors ``inviter`` invited (its team), each with
    ``sales`` (the paid goods of the invitee's orders at that brand, net of refunds) and ``earned``
    (the inviter's level-2 commission on them, net of refunds), in fen."""
    rows = list(
        DistributorMembership.objects.filter(inviter=inviter)
        .select_related("distributor__distributor", "brand")
        .order_by("-id")
    )
    if not rows:
        return rows
    own = Commission.objects.filter(level=1, distributor_id__in={m.distributor_id for m in rows})
    sales = {
        (r["distributor_id"], r["order__brand_id"]): r["n"]
        for r in own.values("distributor_id", "order__brand_id").annotate(n=Sum("base_amount")).order_by()
    }
    mine = Commission.objects.filter(level=2, distributor=inviter)
    earned = {
        (r["order__distributor_id"], r["order__brand_id"]): r["n"]
        for r in mine.values("order__distributor_id", "order__brand_id")
        .annotate(n=Sum(F("amount") - F("reversed_amount")))
        .order_by()
    }
    for m in rows:
        m.sales = sales.get((m.distributor_id, m.brand_id), 0)
        m.earned = earned.get((m.distributor_id, m.brand_id), 0)
    return rows


def distributor_earnings(distributor: User, *, limit: int = 100) -> list:
    """Orders attributed to the distributor, or earning it a level-2 commission, newest first:
    each with ``mine`` (its commissions on the order) and ``lines`` (the products bought)."""
    from fenxiao.trade.models import Order

    orders = list(
        Order.objects.filter(Q(distributor=distributor) | Q(commissions__distributor=distributor))
        .distinct()
        .select_related("brand", "consumer")
        .prefetch_related("lines", "commissions")
        .order_by("-id")[:limit]
    )
    for order in orders:
        order.mine = [c for c in order.commissions.all() if c.distributor_id == distributor.pk]
    return orders


# ---- public: share links and micro-stores ---------------------------------------------------


SHARE_LINK_CACHE = "share-link"


def share_link_for_redirect(code: str) -> ShareLink | None:
    """The link of ``code`` with only the columns the redirect needs (the hot path).

    A viral post sends the same code again and again, so a found link is shared by the clicks of
    a process for up to ``HOT_CACHE_SECONDS`` (``core.hotcache``; ``signals`` forgets it when the
    link is saved or deleted). An unknown code is not remembered: garbage codes must not push
    real entries out of the cache, and a link created a moment later must work at once.
    """
    link = hotcache.peek(SHARE_LINK_CACHE, code)
    if link is None:
        link = (
            ShareLink.objects.filter(code=code)
            .only("pk", "code", "kind", "brand_id", "distributor_id", "product_id")
            .first()
        )
        if link is not None:
            hotcache.keep(SHARE_LINK_CACHE, code, link)
    return link


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
        .prefetch_related("product__images")
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


# ---- distributor tools: the supply market's cards, materials, the decorated store -------------

MARKET_SORTS = ("", "earn", "rate")


def market_cards(
    distributor: User, brand_id: int, *, sort: str = "", min_rate_bps: int = 0, picked_only: bool = False
) -> list[dict]:
    """The brand's goods open to distributors as cards: ``product``, ``cover`` (first picture's
    thumbnail URL or ""), ``band`` (lowest and highest allowed price), ``suggested`` (the lowest
    retail price), ``skus`` (each with ``sku``, ``mine`` — the distributor's price or None — and
    ``earn``), ``earn`` (the most one unit earns at the distributor's prices, else at retail) and
    ``rate_bps``.  ``sort`` "earn" or "rate" puts the best first; ``min_rate_bps`` and
    ``picked_only`` filter."""
    from fenxiao.catalog.selectors import distributable_products

    from .commission import estimate_level1

    products = list(distributable_products(brand_id).prefetch_related("images").order_by("-id"))
    mine = store_prices(distributor, brand_id)
    prices = {
        sku.pk: (product.pk, mine.get(sku.pk, sku.retail_price))
        for product in products
        for sku in product.skus.all()
        if sku.is_active
    }
    estimates = estimate_level1(brand_id=brand_id, distributor_id=distributor.pk, prices=prices)
    cards = []
    for product in products:
        skus = [s for s in product.skus.all() if s.is_active]
        if not skus:
            continue
        images = list(product.images.all())
        cover = images[0].thumbnail or images[0].image if images else None
        rows = [{"sku": s, "mine": mine.get(s.pk), "earn": estimates[s.pk].amount} for s in skus]
        card = {
            "product": product,
            "cover": cover.url if cover else "",
            "band": (min(s.price_min for s in skus), max(s.price_max for s in skus)),
            "suggested": min(s.retail_price for s in skus),
            "skus": rows,
            "earn": max(r["earn"] for r in rows),
            "rate_bps": max(estimates[s.pk].rate_bps for s in skus),
            "picked": any(r["mine"] is not None for r in rows),
        }
        if card["rate_bps"] >= min_rate_bps and (card["picked"] or not picked_only):
            cards.append(card)
    if sort in ("earn", "rate"):
        key = "earn" if sort == "earn" else "rate_bps"
        cards.sort(key=lambda c: (c[key], c["earn"]), reverse=True)
    return cards


def carried_brand_ids(distributor: User) -> list[int]:
    """The brands the distributor is an approved distributor of."""
    return list(
        DistributorMembership.objects.filter(
            distributor=distributor, status=MembershipStatus.APPROVED
        ).values_list("brand_id", flat=True)
    )


def distributor_materials(distributor: User, *, brand_id: int | None = None) -> QuerySet[Material]:
    """Materials of the brands the distributor carries (optionally one of them), newest first."""
    brands = carried_brand_ids(distributor)
    if brand_id is not None:
        brands = [b for b in brands if b == brand_id]
    return (
        Material.objects.filter(brand_id__in=brands)
        .select_related("brand", "product")
        .prefetch_related("images")[:100]
    )


def brand_materials(brand_id: int) -> QuerySet[Material]:
    return Material.objects.filter(brand_id=brand_id).select_related("product").prefetch_related("images")


def brand_material(brand_id: int, material_id: int) -> Material | None:
    return brand_materials(brand_id).filter(pk=material_id).first()


def store_decoration(distributor_id: int) -> tuple[StoreDecoration | None, list[StoreSection]]:
    """The distributor's decoration (or None) and its sections, in order."""
    decoration = StoreDecoration.objects.filter(distributor_id=distributor_id).first()
    return decoration, list(StoreSection.objects.filter(distributor_id=distributor_id))


def featured_ids(decoration: StoreDecoration | None) -> set[int]:
    return set(decoration.featured.values_list("pk", flat=True)) if decoration else set()


def picked_products_all(distributor: User) -> list[Product]:
    """Every product the distributor picked, at any brand, by brand then title."""
    return list(
        Product.objects.filter(skus__store_prices__distributor=distributor)
        .distinct()
        .select_related("brand")
        .order_by("brand__name", "title")
    )
