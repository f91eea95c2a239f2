from django.urls import path

from . import finance_views as views

app_name = "finance"

urlpatterns = [
    path("", views.finance_index, name="index"),
    path("statements/<int:statement_id>/", views.statement_detail, name="statement"),
]
