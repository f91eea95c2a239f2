from django.urls import path

from . import console_views as views

urlpatterns = [
    path("distribution/", views.program, name="distribution_program"),
    path("distribution/levels/", views.add_level, name="distribution_add_level"),
    path("distribution/distributors/", views.distributors, name="distributors"),
    path("distribution/distributors/<int:membership_id>/", views.decide, name="distributor_decide"),
    path("distribution/customers/", views.customers, name="distribution_customers"),
    path("distribution/withdrawals/", views.withdrawal_list, name="withdrawals"),
    path("distribution/withdrawals/<int:withdrawal_id>/", views.withdrawal_decide, name="withdrawal_decide"),
]
