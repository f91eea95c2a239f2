"""Shared schemas: errors and cursor pages."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db.models import QuerySet
from ninja import Schema

from ..errors import ApiError


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorDetail


def encode_cursor(*values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list:
    """Values of an opaque cursor, or a 400 in the error format."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        decoded = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError
            decoded.append(value)
        return decoded
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ApiError(
            400, "invalid_cursor", "This cursor is not one the API gave out.", {"cursor": ["invalid"]}
        ) from exc


def page_limit(limit: int) -> int:
    if not 1 <= limit <= 100:
        raise ApiError(400, "invalid_limit", "limit must be between 1 and 100.", {"limit": ["1–100"]})
    return limit


def id_page(query: QuerySet, cursor: str | None, limit: int) -> dict:
    """One page of ``query`` (a selector's rows) newest id first, after the cursor's id."""
    limit = page_limit(limit)
    if cursor:
        (last_id,) = decode_cursor(cursor, (int,))
        query = query.filter(id__lt=last_id)
    rows = list(query.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "next_cursor": encode_cursor(rows[-1].pk) if more else None}


ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429})
ERRORS = {ERROR_STATUSES: ErrorOut}
