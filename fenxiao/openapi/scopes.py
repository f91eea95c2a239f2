"""API scopes: a resource and an access level.  ``write`` includes ``read``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RESOURCES: dict[str, object] = {
    "products": _("Products and SKUs"),
    "stock": _("Stock"),
    "prices": _("Prices"),
    "orders": _("Orders"),
    "shipping": _("Shipping"),
    "aftersales": _("After-sales"),
    "members": _("Members"),
    "distributors": _("Distributors"),
    "commissions": _("Commissions"),
}
LEVELS = ("read", "write")
ALL_SCOPES: tuple[str, ...] = tuple(f"{r}:{level}" for r in RESOURCES for level in LEVELS)


def normalise(scopes) -> list[str]:
    """Known scopes only, sorted, without duplicates; ValueError names an unknown one."""
    cleaned = set()
    for scope in scopes:
        scope = str(scope).strip()
        if scope not in ALL_SCOPES:
            raise ValueError(scope)
        cleaned.add(scope)
    return sorted(cleaned)


def grants(held, wanted: str) -> bool:
    resource, level = wanted.split(":")
    return wanted in held or (level == "read" and f"{resource}:write" in held)


def choices() -> list[tuple[str, str]]:
    return [(f"{r}:{level}", f"{label} · {level}") for r, label in RESOURCES.items() for level in LEVELS]
