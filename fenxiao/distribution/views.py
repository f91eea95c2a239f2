"""Share-link redirect (the hot path of a viral post) and the distributor centre."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from . import selectors, services, share_cookies
from .models import LinkKind


def share_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """One indexed lookup, one visit row (with its outbox event), the link remembered in a signed
    cookie for binding at sign-in (no session is created: see ``share_cookies``), 302."""
    link = selectors.share_link_for_redirect(code)
    if link is None:
        raise Http404("This share link does not exist.")
    visitor, new_visitor = share_cookies.visitor_id(request)
    services.record_visit(link=link, visitor=request.user, session_key=visitor)
    if link.kind == LinkKind.PRODUCT and link.product_id:
        response = redirect("shop:product", link.product_id)
    elif link.kind == LinkKind.INVITE:
        response = redirect(f"/accounts/signup/?next=/&invite={link.code}")
    else:
        response = redirect("distribution:micro_store", link.code)
    return share_cookies.remember(response, code=link.code, visitor=visitor, new_visitor=new_visitor)
