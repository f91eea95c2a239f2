"""Dashboards: brand console (its own brand, Perm.ORDERS_VIEW), distributor centre (its own
numbers) and platform admin (is_staff).  Every table is downloadable as CSV or XLSX with the
same date range."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fenxiao.accounts.decorators import brand_console
from fenxiao.accounts.roles import Perm
from fenxiao.core.replica import replica_reads

from . import dashboards, exports
from .forms import range_from
from .selectors import Scope

DASHBOARD_PERMISSION = Perm.ORDERS_VIEW


def _page(
    request: HttpRequest, kind: str, scope: Scope, template: str, export: tuple[str, list], **extra
) -> HttpResponse:
    form, period, grain, valid = range_from(request.GET)
    with replica_reads():  # the dashboard only reads: the replica when one is configured
        built = dashboards.build(kind, scope, period, grain)
    query = f"start={period.start.isoformat()}&end={period.end.isoformat()}&grain={grain}"
    url_name, args = export
    for table in built["tables"]:
        table.downloads = [
            (fmt.upper(), reverse(url_name, args=[*args, table.name, fmt]) + "?" + query)
            for fmt in ("csv", "xlsx")
        ]
    context = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "grain": grain,
        **built,
        **extra,
    }
    return render(request, template, context, status=200 if valid else 400)


def _export(request: HttpRequest, kind: str, scope: Scope, table: str, fmt: str, name: str) -> HttpResponse:
    if table not in dashboards.TABLES[kind] or fmt not in exports.CONTENT_TYPES:
        raise Http404
    form, period, grain, valid = range_from(request.GET)
    if not valid:
        return HttpResponse(" ".join(str(e) for errors in form.errors.values() for e in errors), status=400)
    with replica_reads():
        chosen = next(t for t in dashboards.tables(kind, scope, period, grain, limit=None) if t.name == table)
        return exports.render(chosen, fmt, f"{name}-{table}-{period.start}-{period.end}")


def _distributor_id(request: HttpRequest) -> int:
    if not hasattr(request.user, "distributor"):
        raise Http404
    return request.user.pk


def _staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


@brand_console(DASHBOARD_PERMISSION)
def brand_dashboard(request: HttpRequest, brand_id: int) -> HttpResponse:
    return _page(
        request,
        "brand",
        Scope(brand_id=request.brand.pk),
        "analytics/brand.html",
        ("console:analytics_export", [request.brand.pk]),
        brand=request.brand,
    )


@brand_console(DASHBOARD_PERMISSION)
def brand_export(request: HttpRequest, brand_id: int, table: str, fmt: str) -> HttpResponse:
    return _export(request, "brand", Scope(brand_id=request.brand.pk), table, fmt, f"brand{request.brand.pk}")


@login_required
def distributor_dashboard(request: HttpRequest) -> HttpResponse:
    scope = Scope(distributor_id=_distributor_id(request))
    return _page(
        request, "distributor", scope, "analytics/distributor.html", ("analytics:distributor_export", [])
    )


@login_required
def distributor_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    return _export(request, "distributor", Scope(distributor_id=_distributor_id(request)), table, fmt, "my")


@login_required
def platform_dashboard(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return _page(request, "platform", Scope(), "analytics/platform.html", ("analytics:platform_export", []))


@login_required
def platform_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    _staff(request)
    return _export(request, "platform", Scope(), table, fmt, "platform")
