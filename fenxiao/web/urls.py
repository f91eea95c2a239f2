from django.urls import path

from fenxiao.core.observability import metrics_view

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("ping", views.ping, name="ping"),
    path("metrics", metrics_view, name="metrics"),
]
