"""Brand console: the material library (copy text and pictures for the brand's distributors).
Every view is guarded by ``brand_console`` and reads and writes only the brand's own materials."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.catalog import selectors as catalog_selectors

from . import materials, selectors
from .models import Material


def _save(request: HttpRequest, material_id: int | None) -> str | None:
    """Save the posted material; None when saved, else what was wrong."""
    raw_product = request.POST.get("product", "")
    try:
        materials.save_material(
            actor=request.brand_staff,
            text=request.POST.get("text", ""),
            product_id=int(raw_product) if raw_product.isdigit() else None,
            campaign=request.POST.get("campaign", ""),
            images=request.FILES.getlist("images"),
            remove_image_ids=[int(v) for v in request.POST.getlist("remove_image") if v.isdigit()],
            material_id=material_id,
        )
    except (ValidationError, PermissionDenied) as exc:
        return " ".join(getattr(exc, "messages", [str(exc)]))
    return None


def _page(request: HttpRequest, brand_id: int, material: Material | None, error: str | None) -> HttpResponse:
    return render(
        request,
        "distribution/console/materials.html",
        {
            "brand": request.brand,
            "materials": selectors.brand_materials(brand_id),
            "material": material,
            "products": catalog_selectors.brand_products_with_skus(brand_id).order_by("title"),
            "error": error,
            "posted": request.POST if error else None,
        },
        status=400 if error else 200,
    )


@brand_console(Perm.DISTRIBUTION_MANAGE)
def material_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    """The brand's materials, and a form to add one."""
    if request.method == "POST":
        error = _save(request, None)
        if error is None:
            messages.success(request, _("Material saved."))
            return redirect("console:materials", brand_id)
        return _page(request, brand_id, None, error)
    return _page(request, brand_id, None, None)


@brand_console(Perm.DISTRIBUTION_MANAGE)
def material_edit(request: HttpRequest, brand_id: int, material_id: int) -> HttpResponse:
    material = selectors.brand_material(brand_id, material_id)
    if material is None:
        raise Http404("No such material in this brand.")
    if request.method == "POST":
        error = _save(request, material_id)
        if error is None:
            messages.success(request, _("Material saved."))
            return redirect("console:materials", brand_id)
        return _page(request, brand_id, material, error)
    return _page(request, brand_id, material, None)


@require_POST
@brand_console(Perm.DISTRIBUTION_MANAGE)
def material_delete(request: HttpRequest, brand_id: int, material_id: int) -> HttpResponse:
    try:
        materials.delete_material(actor=request.brand_staff, material_id=material_id)
    except Material.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, _("Material deleted."))
    return redirect("console:materials", brand_id)
