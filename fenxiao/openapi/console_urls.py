"""Brand console pages for the open platform (mounted under /console/b/<brand_id>/)."""

from django.urls import path

from . import console_views as views

urlpatterns = [
    path("api-apps/", views.app_list, name="api_apps"),
    path("api-apps/<int:app_id>/", views.app_detail, name="api_app"),
    path("api-apps/<int:app_id>/rotate/", views.app_rotate, name="api_app_rotate"),
    path("api-apps/<int:app_id>/revoke/", views.app_revoke, name="api_app_revoke"),
    path("api-apps/<int:app_id>/webhooks/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:webhook_id>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:webhook_id>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhook-deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="webhook_resend"),
]
