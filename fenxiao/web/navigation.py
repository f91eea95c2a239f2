"""The brand console's side navigation: (url name, label, permission) per entry.

Each domain adds its pages here; a person sees only the entries its role permits.  Entries whose
URL name does not resolve yet are skipped.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fenxiao.accounts.roles import Perm

CONSOLE_NAV: list[tuple[str, str, str]] = [
    ("console:products", _("Products"), Perm.CATALOG_VIEW),
    ("console:products_bulk", _("Stock and prices"), Perm.CATALOG_VIEW),
    ("console:import_products", _("Import products"), Perm.CATALOG_EDIT),
    ("console:orders", _("Orders"), Perm.ORDERS_VIEW),
    ("console:aftersales", _("After-sales"), Perm.AFTERSALES_HANDLE),
    ("console:shipping", _("Shipping fees"), Perm.SETTINGS_MANAGE),
    ("console:payment_settings", _("Payments"), Perm.SETTINGS_MANAGE),
    ("console:distribution_program", _("Distribution program"), Perm.DISTRIBUTION_MANAGE),
    ("console:distributors", _("Distributors"), Perm.DISTRIBUTION_MANAGE),
    ("console:distribution_customers", _("Customers and their distributors"), Perm.DISTRIBUTION_MANAGE),
    ("console:withdrawals", _("Withdrawals"), Perm.FINANCE_VIEW),
    ("console:statements", _("Settlement statements"), Perm.FINANCE_VIEW),
    ("console:analytics", _("Data cube"), Perm.ORDERS_VIEW),
    ("console:api_apps", _("API apps"), Perm.SETTINGS_MANAGE),
    ("console:crm_members", _("Members"), Perm.MEMBERS_VIEW),
    ("console:crm_levels", _("Member levels and points"), Perm.MARKETING_MANAGE),
    ("console:marketing", _("Marketing"), Perm.MARKETING_MANAGE),
    ("console:crm_wechat", _("WeChat Official Account"), Perm.SETTINGS_MANAGE),
    ("console:staff", _("Staff"), Perm.STAFF_MANAGE),
]
