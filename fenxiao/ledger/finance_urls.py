from django.urls import path

from fenxiao.payments import reconciliation_views

from . import finance_views as views

app_name = "finance"

urlpatterns = [
    path("", views.finance_index, name="index"),
    path("statements/<int:statement_id>/", views.statement_detail, name="statement"),
    path("payouts/", views.payout_runs, name="payout_runs"),
    path("payouts/<int:run_id>/", views.payout_run, name="payout_run"),
    path("payouts/<int:run_id>/<slug:action>/", views.payout_run_action, name="payout_run_action"),
    path("reconciliation/", reconciliation_views.reconciliation_index, name="reconciliation"),
    path(
        "reconciliation/breaks/<int:break_id>/resolve/",
        reconciliation_views.resolve_break,
        name="reconciliation_resolve",
    ),
]
