"""Share-link redirect (the hot path of a viral post) and the distributor centre."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from . import services
from .models import LinkKind, ShareLink
from .signals import PENDING_LINK_SESSION_KEY


def share_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """One indexed lookup, one visit row, remember the link for binding at sign-in, 302."""
    link = ShareLink.objects.select_related("brand", "product").filter(code=code).first()
    if link is None:
        raise Http404("This share link does not exist.")
    if not request.session.session_key:
        request.session.save()
    request.session[PENDING_LINK_SESSION_KEY] = link.code
    services.record_visit(link=link, visitor=request.user, session_key=request.session.session_key or "")
    if link.kind == LinkKind.PRODUCT and link.product_id:
        return redirect("shop:product", link.product_id)
    if link.kind == LinkKind.INVITE:
        return redirect(f"/accounts/signup/?next=/&invite={link.code}")
    return redirect("distribution:micro_store", link.code)
