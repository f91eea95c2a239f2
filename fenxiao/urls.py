from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from fenxiao.api import api
from fenxiao.core.audit_views import audit_log

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("fenxiao.openapi.urls")),
    path("api/", api.urls),
    path("accounts/", include("fenxiao.accounts.urls")),
    path("console/", include("fenxiao.web.console_urls")),
    path("shop/", include("fenxiao.catalog.shop_urls")),
    path("trade/", include("fenxiao.trade.urls")),
    path("payments/", include("fenxiao.payments.urls")),
    path("platform/", include("fenxiao.web.platform_urls")),
    path("platform/ledger/", include("fenxiao.ledger.urls")),
    path("platform/finance/", include("fenxiao.ledger.finance_urls")),
    path("platform/audit/", audit_log, name="audit_log"),
    path("aftersales/", include("fenxiao.aftersales.urls")),
    path("crm/", include("fenxiao.crm.urls")),
    path("analytics/", include("fenxiao.analytics.urls")),
    path("marketing/", include("fenxiao.marketing.urls")),
    path("", include("fenxiao.distribution.urls")),
    path("", include("fenxiao.web.urls")),
    # Uploaded images.  In production put a reverse proxy in front (docs/deployment.md);
    # Django's static serve never executes a file, it only streams it with a guessed type.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]
