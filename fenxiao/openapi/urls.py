"""``/api/v1/``: the v1 API's views, each wrapped by :func:`.gate.gate` (key, rate limit,
idempotency, audit) except the OpenAPI document and the docs page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path

from .api import api_v1
from .errors import error_response
from .gate import gate

PUBLIC = {"openapi-json", "openapi-view"}

app_name = "api_v1"


def _wrap(pattern: URLPattern) -> URLPattern:
    if pattern.name in PUBLIC:
        return pattern
    return URLPattern(pattern.pattern, gate(pattern.callback), pattern.default_args, pattern.name)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", "No such endpoint in API v1.")


not_found.csrf_exempt = True

urlpatterns = [_wrap(p) for p in api_v1.urls[0]] + [re_path(r"^(?P<rest>.*)$", not_found)]
