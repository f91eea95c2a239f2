from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from fenxiao.accounts.decorators import platform_staff
from fenxiao.accounts.selectors import approved_brands, brand_roles_of, pending_brand_count
from fenxiao.aftersales.selectors import dispute_count
from fenxiao.catalog import shop_selectors
from fenxiao.trade.selectors import with_listing_prices


def home(request: HttpRequest) -> HttpResponse:
    """The platform's front page: brands' stores for shoppers, and a way into each console."""
    newest = shop_selectors.newest_products()
    with_listing_prices(request, newest)
    return render(
        request,
        "web/home.html",
        {
            "brands": approved_brands(),
            "brand_roles": brand_roles_of(request.user),
            "categories": shop_selectors.top_categories(),
            "newest": newest,
        },
    )


@login_required
def console_index(request: HttpRequest) -> HttpResponse:
    roles = list(brand_roles_of(request.user))
    if len(roles) == 1:
        return redirect("console:products", roles[0].brand_id)
    return render(request, "web/console_index.html", {"brand_roles": roles})


@platform_staff
def platform_home(request: HttpRequest) -> HttpResponse:
    """The platform staff's home: the one platform menu and what waits for them."""
    return render(
        request,
        "web/platform_home.html",
        {"pending_brands": pending_brand_count(), "disputes": dispute_count()},
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "unavailable", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok"})


def ping(request: HttpRequest) -> HttpResponse:
    """The trivial authenticated endpoint benchmarks compare against: session lookup, user
    lookup, a JSON answer, nothing else."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "sign in first"}, status=401)
    return JsonResponse({"user": request.user.pk})
