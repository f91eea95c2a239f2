"""Who may use the marketing tools: brand staff with ``marketing.manage`` of their own brand, and
signed-in consumers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import Perm


def require_manage(actor: BrandStaff, brand_id: int) -> None:
    if actor.brand_id != brand_id or not actor.can(Perm.MARKETING_MANAGE):
        raise PermissionDenied(_("Your role does not allow this."))


def signed_in(consumer) -> bool:
    return consumer is not None and getattr(consumer, "is_authenticated", False)


def chosen_ids(raw) -> list[int]:
    """Ids chosen by a person (ints or digit strings), each once; anything else is dropped."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple | set):
        raw = [raw]
    out = []
    for item in raw:
        try:
            value = int(item)
        except (TypeError, ValueError):
            continue
        if value > 0 and value not in out:
            out.append(value)
    return out
