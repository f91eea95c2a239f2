from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fenxiao.accounts.selectors import approved_brands, brand_roles_of


def home(request: HttpRequest) -> HttpResponse:
    """The platform's front page: brands' stores for shoppers, and a way into each console."""
    return render(
        request,
        "web/home.html",
        {"brands": approved_brands(), "brand_roles": brand_roles_of(request.user)},
    )


@login_required
def console_index(request: HttpRequest) -> HttpResponse:
    roles = list(brand_roles_of(request.user))
    if len(roles) == 1:
        return redirect("console:products", roles[0].brand_id)
    return render(request, "web/console_index.html", {"brand_roles": roles})
