"""Platform finance pages under ``/platform/finance/`` (platform staff only): every brand's
settlement statements."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import exports, selectors


@staff_member_required
def finance_index(request: HttpRequest) -> HttpResponse:
    brand = request.GET.get("brand", "")
    brand_id = int(brand) if brand.isdigit() else None
    context = {"statements": selectors.brand_statements(brand_id=brand_id)[:200], "brand_id": brand_id}
    return render(request, "ledger/finance_index.html", context)


@staff_member_required
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = selectors.brand_statement(statement_id)
    if request.GET.get("format"):
        return exports.render(statement, request.GET["format"])
    return render(request, "ledger/statement.html", {"statement": statement, "platform": True})
