"""Brand console page for the brand's payment gateway choice (mounted under /console/b/<brand_id>/)."""

from django.urls import path

from . import console_views as views

urlpatterns = [path("payments/", views.payment_settings, name="payment_settings")]
