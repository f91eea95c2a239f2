"""Brand-console pages of this app, mounted under /console/b/<brand_id>/ (namespace "console")."""

from django.urls import path

from . import console_views as views
from . import wechat_views

urlpatterns = [
    path("members/", views.member_list, name="crm_members"),
    path("members/tag/", views.member_bulk_tag, name="crm_members_tag"),
    path("members/export/", views.member_export, name="crm_members_export"),
    path("members/<int:member_id>/", views.member_detail, name="crm_member"),
    path("members/levels/", views.levels, name="crm_levels"),
    path("members/segments/", views.segment_list, name="crm_segments"),
    path("wechat/", wechat_views.settings_page, name="crm_wechat"),
    path("wechat/qrcode/", wechat_views.distributor_qrcode, name="crm_wechat_qrcode"),
]
