"""Brand console pages for orders (mounted under /console/b/<brand_id>/)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
