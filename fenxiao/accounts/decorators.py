from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .selectors import require_brand_permission


def brand_console(permission: str) -> Callable:
    """Guard a brand-console view: ``brand_id`` from the URL, the signed-in person's role in that
    brand must grant ``permission``.  Sets ``request.brand`` and ``request.brand_staff``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, brand_id: int, *args, **kwargs) -> HttpResponse:
            membership = require_brand_permission(request.user, brand_id, permission)
            request.brand = membership.brand
            request.brand_staff = membership
            return view(request, brand_id, *args, **kwargs)

        wrapper.brand_permission = permission  # read by the authorisation-matrix tests
        return wrapper

    return decorate


def platform_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Guard a platform page: sign in first, then platform staff (``is_staff``) only (others 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Platform staff only.")
        return view(request, *args, **kwargs)

    return wrapper
