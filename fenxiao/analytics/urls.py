from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("d/", views.distributor_dashboard, name="distributor"),
    path("d/export/<slug:table>/<slug:fmt>/", views.distributor_export, name="distributor_export"),
    path("platform/", views.platform_dashboard, name="platform"),
    path("platform/export/<slug:table>/<slug:fmt>/", views.platform_export, name="platform_export"),
]
