"""Brand-console pages of this app, mounted under /console/b/<brand_id>/ (namespace "console")."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
