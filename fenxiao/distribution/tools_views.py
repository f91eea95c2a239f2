"""Distributor tools beside the centre (phone first): the material library of the brands it
carries, and the decoration of its micro-store.  Each view reads and writes only the signed-in
distributor's own rows and its brands' materials."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import materials, selectors
from .materials import MAX_SECTIONS


@login_required
def material_library(request: HttpRequest) -> HttpResponse:
    """The materials of the brands the distributor carries: copy the text, save the pictures."""
    try:
        brand_id = int(request.GET["brand"]) if request.GET.get("brand") else None
    except ValueError:
        brand_id = None
    rows = selectors.distributor_materials(request.user, brand_id=brand_id)
    return render(request, "distribution/materials.html", {"materials": rows, "brand_id": brand_id})


@login_required
def decorate(request: HttpRequest) -> HttpResponse:
    """Banner, headline, featured goods and text sections of the distributor's micro-store."""
    if not hasattr(request.user, "distributor"):
        return redirect("distribution:centre")
    if request.method == "POST":
        sections = [
            (request.POST.get(f"section-{i}-title", ""), request.POST.get(f"section-{i}-body", ""))
            for i in range(MAX_SECTIONS)
        ]
        try:
            materials.decorate_store(
                distributor=request.user,
                headline=request.POST.get("headline", ""),
                banner=request.FILES.get("banner"),
                remove_banner=request.POST.get("remove_banner") == "1",
                featured_ids=[int(v) for v in request.POST.getlist("featured") if v.isdigit()],
                sections=sections,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your store is saved."))
        return redirect("distribution:decorate")
    decoration, sections = selectors.store_decoration(request.user.pk)
    rows = [{"title": s.title, "body": s.body} for s in sections]
    rows += [{"title": "", "body": ""}] * (MAX_SECTIONS - len(rows))
    return render(
        request,
        "distribution/decorate.html",
        {
            "decoration": decoration,
            "featured": selectors.featured_ids(decoration),
            "products": selectors.picked_products_all(request.user),
            "sections": rows,
        },
    )
