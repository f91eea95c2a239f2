from __future__ import annotations

from fenxiao.accounts.roles import BrandRole
from fenxiao.accounts.tests.factories import BrandStaffFactory
from fenxiao.openapi import scopes, services


def make_app(brand=None, *, scope_list=scopes.ALL_SCOPES, rate=1000, name="ERP"):
    """(app, raw key) created through the console service by an owner of ``brand``."""
    owner = BrandStaffFactory(role=BrandRole.OWNER, **({"brand": brand} if brand else {}))
    return services.create_app(actor=owner, name=name, scope_list=scope_list, rate_limit_per_minute=rate)


def auth(raw: str, **extra) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", **extra}
