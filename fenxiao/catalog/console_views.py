"""Brand console pages for the catalog.  Thin: forms in, services do the work."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.core.money import MoneyFormatError, parse_yuan

from . import importing, selectors, services
from .forms import ImageUploadForm, ImportForm, ProductFilterForm, ProductForm, SkuFormSet, sku_initial
from .models import Product, ProductStatus


def _product_or_404(request: HttpRequest, product_id: int) -> Product:
    try:
        return services.get_brand_product(request.brand_staff, product_id)
    except Product.DoesNotExist as exc:
        raise Http404(str(exc)) from exc


@brand_console(Perm.CATALOG_VIEW)
def product_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    filters = ProductFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    products = selectors.brand_products(
        brand_id,
        q=criteria.get("q", ""),
        status=criteria.get("status", ""),
        category_id=criteria["category"].pk if criteria.get("category") else None,
    )
    page = Paginator(products, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/console/product_list.html",
        {
            "brand": request.brand,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "statuses": ProductStatus,
        },
    )


def _save_product(request: HttpRequest, product: Product | None) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product)
    formset = SkuFormSet(request.POST or None, initial=sku_initial(product) or [{}], prefix="skus")
    if request.method == "POST" and form.is_valid() & formset.is_valid():
        rows = [f.to_input(form.spec_names) for f in formset.forms if f.cleaned_data and not f.is_blank()]
        fields = {
            k: form.cleaned_data[k]
            for k in ("title", "subtitle", "description", "category", "distribution_enabled")
        }
        try:
            if product is None:
                product = services.create_product(
                    actor=request.brand_staff, spec_names=form.spec_names, skus=rows, **fields
                )
            else:
                services.update_product(
                    actor=request.brand_staff,
                    product_id=product.pk,
                    spec_names=form.spec_names,
                    skus=rows,
                    **fields,
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Product saved."))
            return redirect("console:product_edit", request.brand.pk, product.pk)
    return render(
        request,
        "catalog/console/product_form.html",
        {
            "brand": request.brand,
            "product": product,
            "form": form,
            "formset": formset,
            "image_form": ImageUploadForm(),
            "images": product.images.all() if product else [],
        },
        status=400 if request.method == "POST" else 200,
    )


@brand_console(Perm.CATALOG_EDIT)
def product_create(request: HttpRequest, brand_id: int) -> HttpResponse:
    return _save_product(request, None)


@brand_console(Perm.CATALOG_VIEW)
def product_edit(request: HttpRequest, brand_id: int, product_id: int) -> HttpResponse:
    product = _product_or_404(request, product_id)
    if request.method == "POST" and not request.brand_staff.can(Perm.CATALOG_EDIT):
        raise PermissionDenied(_("Your role may not edit products."))
    return _save_product(request, product)


@require_POST
@brand_console(Perm.CATALOG_EDIT)
def product_status(request: HttpRequest, brand_id: int, product_id: int) -> HttpResponse:
    product = _product_or_404(request, product_id)
    try:
        services.set_product_status(
            actor=request.brand_staff, product_id=product.pk, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Status changed."))
    if request.POST.get("back") == "edit":
        return redirect("console:product_edit", brand_id, product.pk)
    return redirect("console:products", brand_id)


@require_POST
@brand_console(Perm.CATALOG_EDIT)
def product_image_upload(request: HttpRequest, brand_id: int, product_id: int) -> HttpResponse:
    product = _product_or_404(request, product_id)
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_product_image(
                actor=request.brand_staff, product_id=product.pk, upload=form.cleaned_data["image"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Image added."))
    else:
        messages.error(request, _("Choose an image file."))
    return redirect("console:product_edit", brand_id, product.pk)


@require_POST
@brand_console(Perm.CATALOG_EDIT)
def product_image_delete(request: HttpRequest, brand_id: int, product_id: int, image_id: int) -> HttpResponse:
    product = _product_or_404(request, product_id)
    services.remove_product_image(actor=request.brand_staff, product_id=product.pk, image_id=image_id)
    return redirect("console:product_edit", brand_id, product.pk)


def _int_or_none(raw: str) -> int | None:
    raw = (raw or "").strip()
    return None if raw == "" else int(raw)


def _yuan_or_none(raw: str) -> int | None:
    raw = (raw or "").strip()
    return None if raw == "" else parse_yuan(raw)


@brand_console(Perm.CATALOG_VIEW)
def bulk_edit(request: HttpRequest, brand_id: int) -> HttpResponse:
    q = request.GET.get("q", "")
    skus = list(selectors.brand_skus_for_bulk_edit(brand_id, q=q)[:300])
    errors: list[str] = []
    if request.method == "POST":
        changes = []
        for sku in skus:
            prefix = f"sku-{sku.pk}-"
            if prefix + "stock" not in request.POST:
                continue
            try:
                changes.append(
                    services.SkuChange(
                        sku_id=sku.pk,
                        stock=_int_or_none(request.POST.get(prefix + "stock")),
                        retail_price=_yuan_or_none(request.POST.get(prefix + "retail_price")),
                        price_min=_yuan_or_none(request.POST.get(prefix + "price_min")),
                        price_max=_yuan_or_none(request.POST.get(prefix + "price_max")),
                    )
                )
            except (ValueError, MoneyFormatError) as exc:
                errors.append(f"{sku}: {exc}")
        if not errors:
            try:
                services.bulk_update_skus(actor=request.brand_staff, changes=changes)
            except ValidationError as exc:
                errors.extend(exc.messages)
            except PermissionDenied as exc:
                errors.append(str(exc))
            else:
                messages.success(request, _("Saved %(count)d SKUs.") % {"count": len(changes)})
                return redirect(request.get_full_path())
    return render(
        request,
        "catalog/console/bulk_edit.html",
        {
            "brand": request.brand,
            "skus": skus,
            "q": q,
            "errors": errors,
            "posted": request.POST if errors else None,
        },
        status=400 if errors else 200,
    )


@brand_console(Perm.CATALOG_EDIT)
def import_products(request: HttpRequest, brand_id: int) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = importing.import_products_csv(actor=request.brand_staff, file=form.cleaned_data["file"])
        if report.ok:
            messages.success(
                request,
                _("Imported %(products)d products with %(skus)d SKUs.")
                % {"products": report.products, "skus": report.skus},
            )
    return render(
        request,
        "catalog/console/import.html",
        {"brand": request.brand, "form": form, "report": report, "columns": importing.COLUMNS},
        status=400 if report is not None and not report.ok else 200,
    )


@brand_console(Perm.CATALOG_VIEW)
def import_template(request: HttpRequest, brand_id: int) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in importing.COLUMNS])
    for row in importing.EXAMPLE_ROWS:
        writer.writerow(row)
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="fenxiao-products-template.csv"'
    return response
