"""Share links (short codes for the store, a product or an invitation) and their visits."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fenxiao.accounts.models import Brand
from fenxiao.catalog.models import Product
from fenxiao.core import clock
from fenxiao.core.events import insert_and_publish, publish
from fenxiao.core.sql import dt, is_postgres, json_object
from fenxiao.trade import extensions

from .binding import bind
from .models import LinkKind, ShareLink, Visit
from .programs import is_active_distributor, program_for

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


@transaction.atomic
def share_link(
    *, distributor, brand: Brand, kind: str = LinkKind.STORE, product: Product | None = None
) -> ShareLink:
    if not is_active_distributor(distributor.pk, brand.pk):
        raise PermissionDenied(_("Join the brand's program first."))
    if kind == LinkKind.INVITE and not program_for(brand).level2_enabled:
        raise ValidationError(_("This brand does not use invitations."))
    lookup = {
        "distributor": distributor,
        "brand": brand,
        "kind": kind,
        "product": product if kind == LinkKind.PRODUCT else None,
    }
    existing = ShareLink.objects.filter(**lookup).first()
    if existing:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                link = ShareLink.objects.create(code=_new_code(), **lookup)
                publish(
                    "share.created", {"link_id": link.pk, "brand_id": brand.pk}, aggregate=f"link:{link.pk}"
                )
                return link
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a short code")


def record_visit(*, link: ShareLink, visitor=None, session_key: str = "") -> Visit:
    """The visit, its ``share.visited`` event and the event's delivery jobs, in one transaction; a
    signed-in visitor is also attributed and bound. On PostgreSQL an anonymous click (the viral
    post's hot path) writes all three in one statement (``core.events.insert_and_publish``)."""
    if not getattr(visitor, "is_authenticated", False) and is_postgres():
        return _record_anonymous_visit(link=link, session_key=session_key)
    return _record_visit(link=link, visitor=visitor, session_key=session_key)


def _record_anonymous_visit(*, link: ShareLink, session_key: str) -> Visit:
    visit = Visit(link=link, visitor=None, session_key=session_key[:40], at=clock.now())
    visit.pk = insert_and_publish(
        f"INSERT INTO {Visit._meta.db_table} (link_id, visitor_id, session_key, at)"
        " VALUES (%s, NULL, %s, %s) RETURNING id",
        [link.pk, visit.session_key, dt(visit.at)],
        "share.visited",
        payload=json_object(visit_id="new.id", brand_id=str(int(link.brand_id))),
        aggregate=f"link:{link.pk}",
    )
    return visit


@transaction.atomic
def _record_visit(*, link: ShareLink, visitor=None, session_key: str = "") -> Visit:
    visit = Visit.objects.create(
        link=link,
        visitor=visitor if getattr(visitor, "is_authenticated", False) else None,
        session_key=session_key[:40],
        at=clock.now(),
    )
    publish("share.visited", {"visit_id": visit.pk, "brand_id": link.brand_id}, aggregate=f"link:{link.pk}")
    if getattr(visitor, "is_authenticated", False):
        extensions.attributed(brand_id=link.brand_id, consumer=visitor, distributor_id=link.distributor_id)
        bind(consumer=visitor, link=link, on_signup=False)
    return visit
