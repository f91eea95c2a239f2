"""What every page's template may use: the platform's name and logo (settings PLATFORM_NAME,
PLATFORM_LOGO: a static path or an absolute URL)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static


def platform(request: HttpRequest) -> dict:
    logo = settings.PLATFORM_LOGO
    if logo and not logo.startswith(("https://", "http://", "/")):
        logo = static(logo)
    return {"platform_name": settings.PLATFORM_NAME, "platform_logo": logo}
