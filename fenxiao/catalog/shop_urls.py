from django.urls import path

from . import shop_views as views

app_name = "shop"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("b/<slug:slug>/", views.brand_store, name="brand"),
    path("c/<int:category_id>/", views.category, name="category"),
    path("p/<int:product_id>/", views.product_detail, name="product"),
]
