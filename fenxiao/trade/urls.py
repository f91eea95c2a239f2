"""Consumer pages of the transaction system: cart, checkout, orders, addresses."""
from django.urls import path  # noqa: F401

app_name = "trade"

urlpatterns: list = []
