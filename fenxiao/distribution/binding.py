"""The binding rule: which distributor a consumer belongs to at a brand, and so who an order is
attributed to and at what prices.

- :func:`bind` attaches a consumer to a share link's distributor per the brand's binding mode
  (first touch, last touch, on sign-up only) and validity days; suspended distributors and the
  distributor itself never bind.
- :func:`attribution_for_order`: an order goes to the consumer's distributor while the binding is
  valid, else (self-purchase commission on) to the consumer itself when it is an active
  distributor; its inviter is the level-2 distributor when the brand enables level 2; the
  distributor's store prices price the order.
- :func:`visitor_store_prices`: the store prices every page shows (``trade.selectors.visitor_unit_prices``) — the binding's distributor
  when signed in, else the share link the browser arrived through (``share_cookies``).
- :func:`bind_pending_link`: a visitor who arrived through a share link and then signed in (or up)
  is bound then.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction

from fenxiao.core import clock
from fenxiao.core.sql import dt
from fenxiao.trade import extensions
from fenxiao.trade.extensions import Attribution

from .models import (
    BindingMode,
    CustomerBinding,
    DistributionProgram,
    DistributorMembership,
    MembershipStatus,
    ShareLink,
    StoreSkuPrice,
)
from .programs import is_active_distributor, program_for
from .share_cookies import SIGNUP_SESSION_FLAG, pending_code


@transaction.atomic
def bind(*, consumer, link: ShareLink, on_signup: bool) -> CustomerBinding | None:
    """Attach ``consumer`` to the link's distributor per the brand's binding mode and validity.
    Suspended distributors and the distributor itself never bind."""
    program = program_for(link.brand_id)
    if (
        consumer.pk == link.distributor_id
        or not program.enabled
        or not is_active_distributor(link.distributor_id, link.brand_id)
    ):
        return None
    if program.binding_mode == BindingMode.ON_SIGNUP and not on_signup:
        return None
    now = clock.now()
    expires = now + timedelta(days=program.binding_days) if program.binding_days else None
    current = (
        CustomerBinding.objects.select_for_update().filter(brand_id=link.brand_id, consumer=consumer).first()
    )
    if current is not None:
        still_valid = current.expires_at is None or current.expires_at > now
        if current.distributor_id == link.distributor_id or (
            still_valid and program.binding_mode != BindingMode.LAST_TOUCH
        ):
            if (
                current.distributor_id == link.distributor_id
                and program.binding_mode == BindingMode.LAST_TOUCH
            ):
                current.expires_at = expires
                current.save(update_fields=["expires_at"])
            return current
        current.distributor_id, current.bound_at, current.expires_at, current.link = (
            link.distributor_id,
            now,
            expires,
            link,
        )
        current.save(update_fields=["distributor", "bound_at", "expires_at", "link"])
        return current
    binding = CustomerBinding.objects.create(
        brand_id=link.brand_id,
        consumer=consumer,
        distributor_id=link.distributor_id,
        bound_at=now,
        expires_at=expires,
        link=link,
    )
    extensions.attributed(brand_id=link.brand_id, consumer=consumer, distributor_id=link.distributor_id)
    return binding


def _program_with_binding(*, brand_id: int, consumer_id: int) -> DistributionProgram:
    """The brand's program annotated with the consumer's binding (``bound_to``: the distributor,
    ``bound_valid``: the binding has not expired) and whether the bound distributor
    (``bound_active``) and the consumer (``self_active``) are active distributors of the brand:
    one statement (the program is created on first use).  Written out, as
    :func:`_could_have_store_price`: every checkout asks it per brand, and building the ORM's
    subquery annotations cost several times the query itself."""
    memberships = DistributorMembership._meta.db_table
    columns = ", ".join(f"p.{f.column}" for f in DistributionProgram._meta.concrete_fields)
    sql = (
        f"SELECT {columns}, b.distributor_id AS bound_to,"
        " (b.expires_at IS NULL OR b.expires_at > %s) AS bound_valid,"
        f" EXISTS (SELECT 1 FROM {memberships} m WHERE m.brand_id = p.brand_id"
        " AND m.distributor_id = b.distributor_id AND m.status = %s) AS bound_active,"
        f" EXISTS (SELECT 1 FROM {memberships} m WHERE m.brand_id = p.brand_id"
        " AND m.distributor_id = %s AND m.status = %s) AS self_active"
        f" FROM {DistributionProgram._meta.db_table} p"
        f" LEFT JOIN {CustomerBinding._meta.db_table} b ON b.brand_id = p.brand_id AND b.consumer_id = %s"
        " WHERE p.brand_id = %s"
    )
    approved = MembershipStatus.APPROVED
    params = [dt(clock.now()), approved, consumer_id, approved, consumer_id, brand_id]
    program = next(iter(DistributionProgram.objects.raw(sql, params)), None)
    if program is None:
        program_for(brand_id)
        return _program_with_binding(brand_id=brand_id, consumer_id=consumer_id)
    return program


def attribution_for_order(*, consumer, brand) -> Attribution:
    """Who an order placed now by ``consumer`` at ``brand`` is attributed to, and at what prices.
    The program, the consumer's binding and whether the bound distributor and the consumer itself
    are active distributors come in one query (:func:`_program_with_binding`)."""
    program = _program_with_binding(brand_id=brand.pk, consumer_id=consumer.pk)
    if not program.enabled:
        return Attribution()
    if program.bound_to is None or not program.bound_valid:
        distributor_id = consumer.pk if program.self_purchase_commission and program.self_active else None
        active = distributor_id is not None
    else:
        distributor_id, active = program.bound_to, bool(program.bound_active)
    if distributor_id is None or not active:
        return Attribution()
    if distributor_id == consumer.pk and not program.self_purchase_commission:
        return Attribution()
    membership = DistributorMembership.objects.select_related("distributor", "inviter").get(
        brand=brand, distributor_id=distributor_id
    )
    inviter = None
    if (
        program.level2_enabled
        and membership.inviter_id
        and is_active_distributor(membership.inviter_id, brand.pk)
    ):
        inviter = membership.inviter
    prices = dict(
        StoreSkuPrice.objects.filter(distributor_id=distributor_id, sku__brand=brand).values_list(
            "sku_id", "price"
        )
    )
    return Attribution(distributor=membership.distributor, inviter=inviter, unit_prices=prices)


def _could_have_store_price(*, brand_id: int, user_id: int) -> bool:
    """Could anyone's store price apply to this signed-in visitor (a member of the brand's
    distributors, or a customer bound to one)?  One statement, written out because the product
    page asks it on every view and the ORM's query building cost more than the query itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DistributorMembership._meta.db_table}"
            " WHERE brand_id = %s AND distributor_id = %s)"
            f" OR EXISTS (SELECT 1 FROM {CustomerBinding._meta.db_table} WHERE brand_id = %s AND consumer_id = %s)",
            [brand_id, user_id, brand_id, user_id],
        )
        return bool(cursor.fetchone()[0])


def visitor_store_prices(request, product) -> dict[int, int]:
    """The store prices (at the product's brand, every SKU) of the distributor this visitor
    belongs to: its binding when signed in, else the share link it arrived through."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        related = _could_have_store_price(brand_id=product.brand_id, user_id=user.pk)
        return dict(attribution_for_order(consumer=user, brand=product.brand).unit_prices) if related else {}
    code = pending_code(request) if hasattr(request, "COOKIES") else None
    link = ShareLink.objects.filter(code=code, brand_id=product.brand_id).first() if code else None
    if link is None or not is_active_distributor(link.distributor_id, product.brand_id):
        return {}
    return dict(
        StoreSkuPrice.objects.filter(
            distributor_id=link.distributor_id, sku__brand_id=product.brand_id
        ).values_list("sku_id", "price")
    )


def bind_pending_link(request, user) -> CustomerBinding | None:
    """A visitor who arrived through a share link and then signed in (or up) is bound now."""
    if request is None or not hasattr(request, "COOKIES"):
        return None
    code = pending_code(request)
    link = ShareLink.objects.filter(code=code).first() if code else None
    if link is None:
        return None
    session = getattr(request, "session", {})
    return bind(consumer=user, link=link, on_signup=bool(session.get(SIGNUP_SESSION_FLAG)))
