from django import template
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from fenxiao.web.navigation import CONSOLE_NAV, PLATFORM_NAV

register = template.Library()


@register.inclusion_tag("web/_console_nav.html", takes_context=True)
def console_nav(context) -> dict:
    request = context["request"]
    staff = getattr(request, "brand_staff", None)
    links = []
    if staff is not None:
        for url_name, label, permission in CONSOLE_NAV:
            if not staff.can(permission):
                continue
            try:
                url = reverse(url_name, args=[staff.brand_id])
            except NoReverseMatch:
                continue
            links.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {"links": links}


def _platform_url(target: str) -> str | None:
    """The URL of a platform menu entry (a URL name, or a path another change may add), or None
    while it does not exist."""
    if target.startswith("/"):
        try:
            resolve(target)
        except Resolver404:
            return None
        return target
    try:
        return reverse(target)
    except NoReverseMatch:
        return None


@register.inclusion_tag("web/_console_nav.html", takes_context=True)
def platform_nav(context) -> dict:
    """The platform staff's one menu, on every platform page (entries that exist only)."""
    request = context["request"]
    links = []
    for target, label in PLATFORM_NAV:
        url = _platform_url(target)
        if url is None:
            continue
        active = request.path == url if url == "/platform/" else request.path.startswith(url)
        links.append({"url": url, "label": label, "active": active})
    return {"links": links}
