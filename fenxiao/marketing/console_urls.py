"""Brand-console pages of marketing, mounted under /console/b/<brand_id>/ (namespace "console")."""

from django.urls import path

from . import console_views as views

urlpatterns = [
    path("marketing/", views.overview, name="marketing"),
    path("marketing/coupons/new/", views.new_coupon, name="marketing_new_coupon"),
    path("marketing/promotions/new/", views.new_promotion, name="marketing_new_promotion"),
    path("marketing/flash/new/", views.new_flash_sale, name="marketing_new_flash"),
    path("marketing/groups/new/", views.new_group_deal, name="marketing_new_group"),
    path("marketing/pause/", views.pause, name="marketing_pause"),
    path("marketing/coupons/issue/", views.issue, name="marketing_issue"),
]
