"""Brand-console pages of this app, mounted under /console/b/<brand_id>/ (namespace "console")."""

from django.urls import path

from . import views

urlpatterns = [
    path("analytics/", views.brand_dashboard, name="analytics"),
    path("analytics/export/<slug:table>/<slug:fmt>/", views.brand_export, name="analytics_export"),
]
