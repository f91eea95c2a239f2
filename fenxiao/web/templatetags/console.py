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


def _may_open(user, target: str) -> bool:
    """``admin:<app>_<model>_changelist`` needs the model's view permission; other entries are
    platform pages every platform staff member may open."""
    if not (target.startswith("admin:") and target.endswith("_changelist")):
        return True
    app_model = target.removeprefix("admin:").removesuffix("_changelist")
    app, _, model = app_model.partition("_")
    return user.has_perm(f"{app}.view_{model}")


@register.inclusion_tag("web/_console_nav.html", takes_context=True)
def platform_nav(context) -> dict:
    """The platform staff's one menu, on every platform page (entries that exist only, and an
    admin list only to staff allowed to view it, so no link leads to a 403)."""
    request = context["request"]
    links = []
    for target, label in PLATFORM_NAV:
        url = _platform_url(target)
        if url is None or not _may_open(request.user, target):
            continue
        active = request.path == url if url == "/platform/" else request.path.startswith(url)
        links.append({"url": url, "label": label, "active": active})
    return {"links": links}
