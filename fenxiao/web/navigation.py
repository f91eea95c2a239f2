"""The consoles' side navigation.

- :data:`CONSOLE_NAV`, the brand console: (url name, label, permission) per entry.  Each domain adds
  its pages here; a person sees only the entries its role permits.  Entries whose URL name does not
  resolve yet are skipped.
- :data:`PLATFORM_NAV`, the platform staff's one menu (``/platform/`` and every platform page):
  (url name or path, label).  An entry that does not resolve is skipped, so a menu slot can wait
  for a page another change adds (settlement at ``/platform/finance/``).
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
    ("console:materials", _("Material library"), Perm.DISTRIBUTION_MANAGE),
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

PLATFORM_NAV: list[tuple[str, str]] = [
    ("platform:home", _("Platform home")),
    ("admin:accounts_brand_changelist", _("Brands")),
    ("ledger:trial_balance", _("Ledger")),
    # Settlement (statements, payouts, reconciliation) is another change's; shown once it exists.
    ("/platform/finance/", _("Settlement")),
    ("finance:reconciliation", _("Reconciliation")),
    ("audit_log", _("Audit log")),
    ("platform:arbitration", _("Arbitration")),
    ("platform:funds_flow", _("Funds flows")),
    ("platform:tasks", _("Background tasks")),
    ("analytics:platform", _("Data cube")),
    ("admin:index", _("Platform admin")),
]
