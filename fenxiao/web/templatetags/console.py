from django import template
from django.urls import NoReverseMatch, reverse

from fenxiao.web.navigation import CONSOLE_NAV

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
