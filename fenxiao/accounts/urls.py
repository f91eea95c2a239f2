from django.urls import path

from . import privacy_views, sms_views, views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signup/", views.signup, name="signup"),
    path("signin/sms/", sms_views.signin_sms, name="signin_sms"),
    path("sms/send/", sms_views.sms_send, name="sms_send"),
    path("signout/", views.signout, name="signout"),
    path("me/", views.me, name="me"),
    path("me/privacy/", privacy_views.privacy_page, name="privacy"),
    path("me/privacy/export.json", privacy_views.export_data, name="privacy_export"),
    path("me/privacy/erase/", privacy_views.erase, name="privacy_erase"),
    path("erased/", privacy_views.erased, name="erased"),
    path("brand/apply/", views.brand_apply, name="brand_apply"),
]
