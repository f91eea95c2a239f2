from django.urls import path

from . import console_views as views

urlpatterns = [
    path("products/", views.product_list, name="products"),
    path("products/import/", views.import_products, name="import_products"),
]
