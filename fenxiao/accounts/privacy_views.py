"""A person's own data: download it, or erase it and close the account."""

from __future__ import annotations

import json

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import privacy


@login_required
def privacy_page(request: HttpRequest, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "accounts/privacy.html",
        {"blockers": privacy.erasure_blockers(request.user), "errors": errors or []},
        status=status,
    )


@login_required
def export_data(request: HttpRequest) -> HttpResponse:
    data = privacy.export_personal_data(request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="fenxiao-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def erase(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        return privacy_page(request, [_("Tick the box to confirm that you want your account erased.")], 400)
    try:
        privacy.erase_account(request.user, password=request.POST.get("password", ""))
    except ValidationError as exc:
        return privacy_page(request, exc.messages, 400)
    logout(request)
    return redirect("accounts:erased")


def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/erased.html")
