from django.urls import path

from . import views, wechat_views

app_name = "crm"

urlpatterns = [
    path("member/<int:brand_id>/", views.member_centre, name="member_centre"),
    path("d/<int:brand_id>/customers/", views.distributor_customers, name="distributor_customers"),
    path("d/<int:brand_id>/qrcode/", views.distributor_qrcode, name="distributor_qrcode"),
    path("wechat/<int:brand_id>/", wechat_views.server, name="wechat_server"),
    path("wechat/<int:brand_id>/oauth/", wechat_views.oauth_start, name="wechat_oauth"),
    path("wechat/<int:brand_id>/oauth/callback/", wechat_views.oauth_callback, name="wechat_oauth_callback"),
    path("wechat/<int:brand_id>/oauth/link/", wechat_views.oauth_link, name="wechat_oauth_link"),
]
