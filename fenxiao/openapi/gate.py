"""Wraps every /api/v1/ view (except the OpenAPI document and docs page): authenticates the app by
its key, applies its rate limit, records last use, and makes writes idempotent and audited.

Writes (POST/PUT/PATCH/DELETE) run in one transaction together with their idempotency record and
audit entry.  With an ``Idempotency-Key`` the record is inserted *first*: a concurrent request
with the same key waits on the unique index (PostgreSQL) or the write lock (SQLite) and then
replays the stored response instead of writing again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from fenxiao.core import clock

from . import keys, ratelimit
from .errors import error_response
from .models import ApiApp, ApiAuditEntry, IdempotencyRecord

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 200


def bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def app_for_key(raw: str) -> ApiApp | None:
    prefix = keys.prefix_of(raw)
    if prefix is None:
        return None
    app = ApiApp.objects.select_related("service_user").filter(key_prefix=prefix).first()
    if app is None or not keys.matches(raw, app.key_hash) or not app.is_active:
        return None
    return app


def _touch(app: ApiApp) -> None:
    now = clock.now()
    ApiApp.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(seconds=30)), pk=app.pk
    ).update(last_used_at=now)


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _audit(request: HttpRequest, app: ApiApp, status: int, key: str, replayed: bool = False) -> None:
    ApiAuditEntry.objects.create(
        app=app,
        brand_id=app.brand_id,
        method=request.method,
        path=request.get_full_path()[:300],
        status_code=status,
        idempotency_key=key,
        replayed=replayed,
        at=clock.now(),
    )


def _replay(request: HttpRequest, app: ApiApp, key: str, record: IdempotencyRecord) -> HttpResponse:
    if record.request_hash != _request_hash(request):
        response = error_response(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was used with another request; use a new key for a new request.",
        )
    else:
        response = HttpResponse(record.body, status=record.status_code, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
    with transaction.atomic():
        _audit(request, app, response.status_code, key, replayed=True)
    return response


class _Rollback(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _write(request: HttpRequest, app: ApiApp, call: Callable[[], HttpResponse]) -> HttpResponse:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY_LENGTH:
        return error_response(
            400, "invalid_idempotency_key", f"An Idempotency-Key has at most {MAX_KEY_LENGTH} characters."
        )
    if key:
        existing = IdempotencyRecord.objects.filter(app=app, key=key).first()
        if existing is not None:
            return _replay(request, app, key, existing)
    try:
        with transaction.atomic():
            record = None
            if key:
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            app=app, key=key, request_hash=_request_hash(request), created_at=clock.now()
                        )
                except IntegrityError:
                    raise _Rollback(HttpResponse(status=409)) from None
            response = call()
            if response.status_code >= 500:
                raise _Rollback(response)
            if record is not None:
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "application/json")
                record.body = response.content.decode()
                record.save(update_fields=["status_code", "content_type", "body"])
            _audit(request, app, response.status_code, key)
            return response
    except _Rollback as rollback:
        if rollback.response.status_code == 409 and not rollback.response.content:
            # Lost the race for this key: the winner has committed; answer with its response.
            winner = IdempotencyRecord.objects.filter(app=app, key=key).first()
            if winner is None:
                return error_response(
                    409, "idempotency_key_in_use", "A request with this key failed; retry it."
                )
            return _replay(request, app, key, winner)
        return rollback.response


def _has_nul(request: HttpRequest) -> bool:
    """NUL characters cannot be stored (PostgreSQL refuses them): refuse them up front."""
    query = "".join(k + "".join(v) for k, v in request.GET.lists())
    return "\x00" in request.path or "\x00" in query or b"\x00" in request.body or b"\\u0000" in request.body


def gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _has_nul(request):
            return error_response(400, "invalid", "Text may not contain NUL characters.")
        app = app_for_key(bearer_token(request))
        if app is None:
            response = error_response(
                401, "unauthenticated", "Give a valid API key: Authorization: Bearer fxk_…"
            )
            response["WWW-Authenticate"] = "Bearer"
            return response
        wait = ratelimit.hit(app)
        if wait is not None:
            response = error_response(
                429, "rate_limited", f"Too many requests; at most {app.rate_limit_per_minute} a minute."
            )
            response["Retry-After"] = str(wait)
            return response
        _touch(app)
        request.api_app = app
        if request.method not in WRITE_METHODS:
            return view(request, *args, **kwargs)
        return _write(request, app, lambda: view(request, *args, **kwargs))

    wrapper.csrf_exempt = True
    return wrapper
