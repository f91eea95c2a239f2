"""The audit log: every staff action and every movement of money, append-only.

- Staff actions: :class:`AuditMiddleware` records each state-changing request (POST, PUT, PATCH,
  DELETE) a signed-in person makes to the brand console, the platform pages or the Django admin:
  who, which brand, what (method and URL name), the answer's status and the submitted field names
  with their values (secrets masked).
- Money: the ledger app records each journal entry as it is posted (``ledger/apps.py``), in the
  posting's own transaction, with the person whose request caused it or ``system`` for the worker.

Records are never changed or deleted (model guards plus database triggers, see
``core/migrations/0002_audit_log.py``).  Platform staff read them at ``/platform/audit/``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from fenxiao.core import clock

from .models import AuditCategory, AuditRecord

STAFF_PREFIXES = ("/console/", "/admin/", "/platform/", "/aftersales/platform/", "/analytics/platform/")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SECRET_WORDS = ("password", "secret", "token", "key", "csrf", "private", "cert")
MAX_VALUE = 200


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    ip: str | None = None


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)


def current_actor() -> Actor | None:
    return _actor.get()


def masked_fields(data) -> dict[str, str]:
    """Submitted fields as the log keeps them: secrets replaced, long values cut."""
    fields: dict[str, str] = {}
    for name in data:
        if any(word in name.lower() for word in SECRET_WORDS):
            fields[name] = "***"
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        fields[name] = ", ".join(str(v) for v in values)[:MAX_VALUE]
    return fields


def record(
    category: str,
    action: str,
    *,
    target: str = "",
    brand_id: int | None = None,
    status_code: int | None = None,
    detail: dict | None = None,
    actor: Actor | None = None,
) -> AuditRecord:
    actor = actor or current_actor()
    return AuditRecord.objects.create(
        at=clock.now(),
        category=category,
        actor_user_id=actor.user_id if actor else None,
        actor_label=actor.label if actor else "",
        brand_id=brand_id,
        action=action[:200],
        target=target[:200],
        status_code=status_code,
        ip=actor.ip if actor else None,
        detail=detail or {},
    )


def _client_ip(request: HttpRequest) -> str | None:
    from fenxiao.accounts.throttling import client_ip

    return client_ip(request)


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        actor = None
        if user is not None and user.is_authenticated:
            actor = Actor(user_id=user.pk, label=str(user)[:150], ip=_client_ip(request))
        token = _actor.set(actor)
        try:
            response = self.get_response(request)
        finally:
            _actor.reset(token)
        if actor and request.method in UNSAFE_METHODS and request.path.startswith(STAFF_PREFIXES):
            match = request.resolver_match
            record(
                AuditCategory.STAFF,
                f"{request.method} {match.view_name if match else request.path}",
                target=request.path,
                brand_id=(match.kwargs.get("brand_id") if match else None),
                status_code=response.status_code,
                detail={"fields": masked_fields(request.POST)},
                actor=actor,
            )
        return response
