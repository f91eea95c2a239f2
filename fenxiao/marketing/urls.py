"""Consumer pages of marketing, under /marketing/."""

from django.urls import path

from . import views

app_name = "marketing"

urlpatterns = [
    path("coupons/", views.coupon_centre, name="coupons"),
    path("coupons/claim/", views.claim, name="claim"),
    path("coupons/mine/", views.my_coupons, name="my_coupons"),
    path("flash/<int:sale_id>/", views.flash_sale, name="flash"),
    path("deals/<int:deal_id>/", views.group_deal, name="deal"),
    path("groups/<int:group_id>/", views.group_page, name="group"),
]
