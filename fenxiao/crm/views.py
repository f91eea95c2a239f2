"""Consumer and distributor pages (mobile first): the member centre per brand, and a
distributor's own customers of a brand with phone numbers masked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fenxiao.distribution.services import is_active_distributor

from . import selectors, wechat
from .models import DistributorQrCode, MemberLevel
from .points import loyalty_for
from .wechat_views import brand_or_404


@login_required
def member_centre(request: HttpRequest, brand_id: int) -> HttpResponse:
    brand = brand_or_404(brand_id)
    member = selectors.brand_members(brand.pk).filter(consumer=request.user).first()
    if member is None:
        return render(request, "crm/member_centre.html", {"brand": brand, "member": None})
    next_level = (
        MemberLevel.objects.filter(brand_id=brand.pk, growth_threshold__gt=member.growth)
        .order_by("growth_threshold")
        .first()
    )
    return render(
        request,
        "crm/member_centre.html",
        {
            "brand": brand,
            "member": member,
            "next_level": next_level,
            "to_next": next_level.growth_threshold - member.growth if next_level else 0,
            "entries": member.points_entries.all()[:50],
            "loyalty": loyalty_for(brand.pk),
        },
    )


@login_required
def distributor_customers(request: HttpRequest, brand_id: int) -> HttpResponse:
    brand = brand_or_404(brand_id)
    if not is_active_distributor(request.user.pk, brand.pk):
        raise PermissionDenied
    return render(
        request,
        "crm/distributor_customers.html",
        {
            "brand": brand,
            "members": selectors.distributor_members(brand.pk, request.user.pk),
            "qrcode": DistributorQrCode.objects.filter(brand_id=brand.pk, distributor=request.user).first(),
        },
    )


@login_required
@require_POST
def distributor_qrcode(request: HttpRequest, brand_id: int) -> HttpResponse:
    """A distributor asks for its own scene QR code on the brand's Official Account."""
    brand = brand_or_404(brand_id)
    if not is_active_distributor(request.user.pk, brand.pk):
        raise PermissionDenied
    try:
        wechat.distributor_qrcode(brand_id=brand.pk, distributor_id=request.user.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("crm:distributor_customers", brand.pk)
