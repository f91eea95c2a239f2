from django.urls import path

from . import console_views as views
from . import material_console_views

urlpatterns = [
    path("distribution/", views.program, name="distribution_program"),
    path("distribution/levels/", views.add_level, name="distribution_add_level"),
    path("distribution/distributors/", views.distributors, name="distributors"),
    path("distribution/distributors/<int:membership_id>/", views.decide, name="distributor_decide"),
    path("distribution/customers/", views.customers, name="distribution_customers"),
    path("distribution/withdrawals/", views.withdrawal_list, name="withdrawals"),
    path("distribution/withdrawals/<int:withdrawal_id>/", views.withdrawal_decide, name="withdrawal_decide"),
    path("distribution/materials/", material_console_views.material_list, name="materials"),
    path(
        "distribution/materials/<int:material_id>/",
        material_console_views.material_edit,
        name="material_edit",
    ),
    path(
        "distribution/materials/<int:material_id>/delete/",
        material_console_views.material_delete,
        name="material_delete",
    ),
]
