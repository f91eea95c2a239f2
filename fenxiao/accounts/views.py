from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.web.redirects import safe_next

from . import services
from .decorators import brand_console
from .forms import AddStaffForm, BrandApplicationForm, SignInForm, SignUpForm
from .models import BrandStaff
from .roles import BrandRole, Perm
from .selectors import brand_roles_of

BACKEND = "fenxiao.accounts.backends.PhoneOrEmailBackend"


def _next_url(request: HttpRequest) -> str:
    return safe_next(request)


def _landing(user) -> str:
    """Where a sign-in without a ``next`` goes: platform staff to ``/platform/``, brand staff to
    their console, everyone else to the shop."""
    if user.is_staff:
        return reverse("platform:home")
    if brand_roles_of(user).exists():
        return reverse("console:index")
    return "/"


def signin(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend=BACKEND)
        return redirect(safe_next(request, default="") or _landing(form.user))
    return render(
        request,
        "accounts/signin.html",
        {"form": form, "next": safe_next(request, default="")},
        status=429 if form.locked_out else 400 if form.errors else 200,
    )


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None, initial={"phone": request.GET.get("phone", "")[:11]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.register_user(
            phone=data["phone"],
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
        )
        request.session["just_signed_up"] = True  # read by sign-in receivers (e.g. share-link binding)
        login(request, user, backend=BACKEND)
        messages.success(request, _("Welcome to fenxiao!"))
        return redirect(_next_url(request))
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:home")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/me.html",
        {
            "brand_roles": brand_roles_of(request.user),
            "applications": request.user.brand_applications.order_by("-id"),
        },
    )


@login_required
def brand_apply(request: HttpRequest) -> HttpResponse:
    form = BrandApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.apply_for_brand(applicant=request.user, **form.cleaned_data)
        messages.success(request, _("Application received. Platform staff will review it."))
        return redirect("accounts:me")
    return render(request, "accounts/brand_apply.html", {"form": form}, status=400 if form.errors else 200)


@brand_console(Perm.STAFF_MANAGE)
def staff_list(request: HttpRequest, brand_id: int) -> HttpResponse:
    form = AddStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_staff(brand=request.brand, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Staff member added."))
            return redirect("console:staff", brand_id)
    staff = BrandStaff.objects.filter(brand=request.brand).select_related("user").order_by("id")
    return render(
        request,
        "accounts/console_staff.html",
        {"brand": request.brand, "staff": staff, "form": form, "roles": BrandRole.choices},
        status=400 if form.errors else 200,
    )


@require_POST
@brand_console(Perm.STAFF_MANAGE)
def staff_change(request: HttpRequest, brand_id: int, staff_id: int) -> HttpResponse:
    get_object_or_404(BrandStaff, pk=staff_id, brand=request.brand)
    try:
        if request.POST.get("action") == "remove":
            services.remove_staff(brand=request.brand, staff_id=staff_id)
        else:
            role = request.POST.get("role", "")
            if role not in BrandRole.values:
                raise ValidationError(_("Choose a valid role."))
            services.change_staff_role(brand=request.brand, staff_id=staff_id, role=role)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("console:staff", brand_id)
