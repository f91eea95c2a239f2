"""Webhook receivers must be public addresses: a brand must not make the worker call the
platform's own network (SSRF).  ``FENXIAO_WEBHOOKS_ALLOW_PRIVATE_HOSTS`` (default: DEBUG) lets
development and tests deliver to 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


def private_allowed() -> bool:
    return bool(getattr(settings, "FENXIAO_WEBHOOKS_ALLOW_PRIVATE_HOSTS", settings.DEBUG))


def is_public_url(url: str) -> bool:
    """True when every address the URL's host resolves to is a public one."""
    if private_allowed():
        return True
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError, ValueError):
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            return False
    return bool(infos)
