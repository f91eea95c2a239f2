"""The API's authentication as Ninja sees it: a bearer key (checked by :mod:`..gate`) plus the
scope each operation declares.  ``scoped("orders:read")`` is given as an operation's ``auth``, so
the scope is part of the route table (and of the OpenAPI document as ``x-scope``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from fenxiao.accounts.models import BrandStaff
from fenxiao.accounts.roles import BrandRole

from .. import scopes
from ..errors import ScopeMissing
from ..gate import app_for_key
from ..models import ApiApp


class ApiKey(HttpBearer):
    openapi_description = "An API app's key: `Authorization: Bearer fxk_…`"

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiApp | None:
        app = getattr(request, "api_app", None) or app_for_key(token)
        if app is None:
            return None
        if not scopes.grants(app.scopes, self.scope):
            raise ScopeMissing(self.scope)
        return app


def scoped(scope: str) -> dict:
    """Keyword arguments for a router operation that needs ``scope``."""
    assert scope in scopes.ALL_SCOPES, scope
    return {"auth": ApiKey(scope), "openapi_extra": {"x-scope": scope}}


def actor_of(request: HttpRequest) -> BrandStaff:
    """The acting 'staff member' the domain services expect: the app's service user with every
    permission of an administrator in the app's brand (the scope is the real limit)."""
    app: ApiApp = request.auth
    return BrandStaff(brand_id=app.brand_id, user=app.service_user, role=BrandRole.ADMIN)


def brand_id_of(request: HttpRequest) -> int:
    return request.auth.brand_id
