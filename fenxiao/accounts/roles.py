"""Brand staff roles and what each may do inside its brand.

Permissions are plain strings checked by services and views through
:func:`fenxiao.accounts.selectors.brand_membership` / :func:`require_brand_permission`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BrandRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    OPERATIONS = "operations", _("Operations")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    FINANCE = "finance", _("Finance")


class Perm:
    CATALOG_VIEW = "catalog.view"
    CATALOG_EDIT = "catalog.edit"  # titles, descriptions, images, shelf status, import
    CATALOG_PRICE = "catalog.price"  # retail price and distributor band
    CATALOG_STOCK = "catalog.stock"
    ORDERS_VIEW = "orders.view"
    ORDERS_SHIP = "orders.ship"
    AFTERSALES_HANDLE = "aftersales.handle"
    DISTRIBUTION_MANAGE = "distribution.manage"
    FINANCE_VIEW = "finance.view"
    FINANCE_WITHDRAWALS = "finance.withdrawals"
    MEMBERS_VIEW = "members.view"
    MARKETING_MANAGE = "marketing.manage"
    STAFF_MANAGE = "staff.manage"
    SETTINGS_MANAGE = "settings.manage"


ALL_PERMISSIONS = frozenset(v for k, v in vars(Perm).items() if k.isupper())

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    BrandRole.OWNER: ALL_PERMISSIONS,
    BrandRole.ADMIN: ALL_PERMISSIONS - {Perm.STAFF_MANAGE},
    BrandRole.OPERATIONS: frozenset(
        {
            Perm.CATALOG_VIEW,
            Perm.CATALOG_EDIT,
            Perm.CATALOG_PRICE,
            Perm.CATALOG_STOCK,
            Perm.ORDERS_VIEW,
            Perm.ORDERS_SHIP,
            Perm.DISTRIBUTION_MANAGE,
            Perm.MEMBERS_VIEW,
            Perm.MARKETING_MANAGE,
        }
    ),
    BrandRole.CUSTOMER_SERVICE: frozenset(
        {Perm.CATALOG_VIEW, Perm.ORDERS_VIEW, Perm.AFTERSALES_HANDLE, Perm.MEMBERS_VIEW}
    ),
    BrandRole.FINANCE: frozenset(
        {Perm.CATALOG_VIEW, Perm.ORDERS_VIEW, Perm.FINANCE_VIEW, Perm.FINANCE_WITHDRAWALS}
    ),
}


def role_has(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
