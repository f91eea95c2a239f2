"""Consumer pages at /aftersales/ and the platform's arbitration pages at /aftersales/platform/."""

from django.urls import path

from . import platform_views, views

app_name = "aftersales"

urlpatterns = [
    path("", views.my_requests, name="list"),
    path("orders/<int:order_id>/apply/", views.apply, name="apply"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/action/", views.action, name="action"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("platform/", platform_views.queue, name="platform_queue"),
    path("platform/<int:request_id>/", platform_views.decide, name="platform_decide"),
]
