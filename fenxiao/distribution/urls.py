from django.urls import path

from . import centre_views, tools_views, views

app_name = "distribution"

urlpatterns = [
    path("s/<str:code>", views.share_redirect, name="share"),
    path("d/", centre_views.centre, name="centre"),
    path("d/join/<int:brand_id>/", centre_views.join, name="join"),
    path("d/market/<int:brand_id>/", centre_views.market, name="market"),
    path("d/share/<int:brand_id>/", centre_views.share, name="share_page"),
    path("d/poster/<str:code>.png", centre_views.poster, name="poster"),
    path("d/customers/", centre_views.customers, name="customers"),
    path("d/orders/", centre_views.orders, name="orders"),
    path("d/withdraw/<int:brand_id>/", centre_views.withdraw, name="withdraw"),
    path("d/invitees/", centre_views.invitees, name="invitees"),
    path("d/store/", centre_views.store_settings, name="store_settings"),
    path("d/store/decorate/", tools_views.decorate, name="decorate"),
    path("d/materials/", tools_views.material_library, name="materials"),
    path("m/<str:code>/", centre_views.micro_store, name="micro_store"),
]
