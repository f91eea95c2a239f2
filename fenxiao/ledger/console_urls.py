"""Brand console: settlement statements (mounted under /console/b/<brand_id>/)."""

from django.urls import path

from . import console_views as views

urlpatterns = [
    path("finance/statements/", views.statement_list, name="statements"),
    path("finance/statements/cycle/", views.statement_cycle, name="statement_cycle"),
    path("finance/statements/<int:statement_id>/", views.statement_detail, name="statement"),
]
