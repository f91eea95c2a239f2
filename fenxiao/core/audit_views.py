"""Platform staff read the audit log; nobody writes it from a page."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import AuditCategory, AuditRecord

PAGE_SIZE = 50


@staff_member_required
def audit_log(request: HttpRequest) -> HttpResponse:
    records = AuditRecord.objects.all()
    category = request.GET.get("category", "")
    if category in AuditCategory.values:
        records = records.filter(category=category)
    brand = request.GET.get("brand", "")
    if brand.isdigit():
        records = records.filter(brand_id=int(brand))
    who = request.GET.get("who", "").strip()
    if who:
        records = records.filter(actor_label__icontains=who)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {"page": page, "categories": AuditCategory.choices, "category": category, "brand": brand, "who": who},
    )
