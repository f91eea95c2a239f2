from django.urls import path

from . import views

app_name = "distribution"

urlpatterns = [
    path("s/<str:code>", views.share_redirect, name="share"),
]
