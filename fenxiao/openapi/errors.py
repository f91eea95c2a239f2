"""The API's one error format: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``."""

from __future__ import annotations

import json

from django.http import HttpResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class ScopeMissing(ApiError):
    def __init__(self, scope: str) -> None:
        super().__init__(403, "scope_missing", f"This app lacks the scope {scope}.", {})
        self.scope = scope


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(status: int, code: str, message: str, fields: dict | None = None) -> HttpResponse:
    return HttpResponse(
        json.dumps(error_body(code, message, fields), ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )
