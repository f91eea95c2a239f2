"""Helpers for tests that walk the URL configuration (authorisation matrices), so a new route
without an entry in a matrix fails its test instead of going untested."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def walk_urls(patterns=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from walk_urls(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def routes_of_module(module: str) -> list[str]:
    """Every route whose view is defined in ``module``."""
    return sorted(
        route for route, entry in walk_urls() if getattr(entry.callback, "__module__", "") == module
    )


def fill_route(route: str, values: dict) -> str:
    """``console/b/<int:brand_id>/`` → ``/console/b/3/``; an unknown parameter fails loudly."""

    def sub(match: re.Match) -> str:
        name = match.group(2)
        if name not in values:
            raise AssertionError(f"route {route} has <{name}>: add it to the matrix")
        return str(values[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)
