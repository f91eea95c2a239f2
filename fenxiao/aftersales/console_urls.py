"""Brand-console pages of this app, mounted under /console/b/<brand_id>/ (namespace "console")."""

from django.urls import path

from . import console_views

urlpatterns = [
    path("aftersales/", console_views.queue, name="aftersales"),
    path("aftersales/policy/", console_views.policy, name="aftersales_policy"),
    path("aftersales/<int:request_id>/", console_views.detail, name="aftersales_detail"),
    path("aftersales/<int:request_id>/action/", console_views.action, name="aftersales_action"),
]
