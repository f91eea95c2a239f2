"""Consumer pages of the transaction system: cart, checkout, orders, addresses."""

from django.urls import path

from . import views
from .tracking.views import kuaidi100_callback

app_name = "trade"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/<int:item_id>/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("buy/", views.buy_now, name="buy_now"),
    path("addresses/", views.addresses, name="addresses"),
    path("divisions/", views.division_list, name="divisions"),
    path("addresses/<int:address_id>/", views.address_action, name="address_action"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/action/", views.order_action, name="order_action"),
    path("tracking/kuaidi100/", kuaidi100_callback, name="kuaidi100_callback"),
]
