from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("pay/<str:out_trade_no>/", views.pay, name="pay"),
    path("result/<str:out_trade_no>/", views.result, name="result"),
    path("notify/<str:gateway>/", views.notify, name="notify"),
    path("sandbox/cashier/<str:token>/", views.sandbox_cashier, name="sandbox_cashier"),
]
