"""The public REST API v1 (``/api/v1/``): a NinjaAPI of its own, beside the console API
(``fenxiao.api``), with its own namespace, authentication (API app keys) and error format."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ..errors import ApiError, error_response

api_v1 = NinjaAPI(
    title="fenxiao open platform API",
    version="1.0",
    description=(
        "REST API for a brand's ERP, warehouse and CRM. Authenticate with an API app key "
        "(`Authorization: Bearer fxk_…`). Money is integer fen; times are ISO 8601 with zone. "
        'Errors: `{"error": {"code", "message", "fields"}}`. See docs/api.md.'
    ),
    urls_namespace="api_v1",
)

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
}


@api_v1.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


@api_v1.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "title") → "title"; ("query", "limit") → "limit"
        name = ".".join(loc[2:] if len(loc) > 2 and loc[0] == "body" else loc[1:] or loc) or "request"
        fields.setdefault(name, []).append(str(error.get("msg", "invalid")))
    return error_response(422, "validation_error", "Some fields are not valid.", fields)


@api_v1.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "unauthenticated", "Give a valid API key: Authorization: Bearer fxk_…")


@api_v1.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, CODES.get(exc.status_code, "error"), str(exc))


@api_v1.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or "Forbidden.")


@api_v1.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", str(exc) or "Not found.")


@api_v1.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return error_response(404, "not_found", str(exc) or "Not found.")


@api_v1.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = (
        {k: [str(m) for m in v] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {}
    )
    fields.pop("__all__", None)
    return error_response(400, "invalid", " ".join(str(m) for m in exc.messages), fields)


def _mount() -> None:
    from . import commerce, distribution, people

    api_v1.add_router("/", commerce.router)
    api_v1.add_router("/", distribution.router)
    api_v1.add_router("/", people.router)


_mount()
