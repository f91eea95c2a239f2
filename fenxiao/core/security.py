"""Security headers every response carries, beside Django's own (HSTS, nosniff, referrer policy,
X-Frame-Options, set in settings).

Content-Security-Policy: scripts only from our own origin or inline blocks that carry this
response's nonce (``<script nonce="{{ request.csp_nonce }}">``); no plugins, no framing.  Inline ``style`` attributes stay allowed (they cannot run code).  A test walks every
template and fails on a ``<script>`` without ``src`` or the nonce, and on inline event handlers.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Django's admin and the interactive API pages ship inline scripts of their own.
RELAXED_PREFIXES = ("/admin/", "/api/docs", "/api/v1/docs")
UPLOAD_POLICY = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"


def content_security_policy(nonce: str, *, inline_scripts: bool = False) -> str:
    scripts = "script-src 'self' 'unsafe-inline'" if inline_scripts else f"script-src 'self' 'nonce-{nonce}'"
    return "; ".join(
        [
            "default-src 'self'",
            scripts,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            # No form-action: a checkout form's answer may redirect to the payment provider's page.
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if request.path.startswith(settings.MEDIA_URL):
            # Uploaded files are data: even a file that slipped through as HTML or SVG runs nothing.
            policy = UPLOAD_POLICY
        elif request.path.startswith(RELAXED_PREFIXES):
            policy = content_security_policy(request.csp_nonce, inline_scripts=True)
        else:
            policy = content_security_policy(request.csp_nonce)
        response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(self)")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
