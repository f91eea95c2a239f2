"""Brand console pages for orders (mounted under /console/b/<brand_id>/)."""

from django.urls import path

from . import console_views as views

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/export.csv", views.order_export, name="orders_export"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/ship/", views.order_ship, name="order_ship"),
]
urlpatterns.append(path("shipping/", views.shipping_rule, name="shipping"))
