from django.urls import path

from . import console_views as views

urlpatterns = [
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:product_id>/", views.product_edit, name="product_edit"),
    path("products/<int:product_id>/status/", views.product_status, name="product_status"),
    path("products/<int:product_id>/images/", views.product_image_upload, name="product_image_upload"),
    path(
        "products/<int:product_id>/images/<int:image_id>/delete/",
        views.product_image_delete,
        name="product_image_delete",
    ),
    path("products/bulk/", views.bulk_edit, name="products_bulk"),
    path("products/import/", views.import_products, name="import_products"),
    path("products/import/template.csv", views.import_template, name="import_template"),
]
