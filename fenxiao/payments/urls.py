"""Payment pages and provider notification endpoints, and the sandbox provider."""
from django.urls import path  # noqa: F401

app_name = "payments"

urlpatterns: list = []
