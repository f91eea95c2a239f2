"""The brand console: every URL carries the brand id and every view checks the signed-in
person's role in that brand (``fenxiao.accounts.selectors.require_brand_permission``)."""

from django.urls import include, path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.console_index, name="index"),
    path("b/<int:brand_id>/", include("fenxiao.catalog.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.trade.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.accounts.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.distribution.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.aftersales.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.crm.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.analytics.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.marketing.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.openapi.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.payments.console_urls")),
    path("b/<int:brand_id>/", include("fenxiao.ledger.console_urls")),
]
