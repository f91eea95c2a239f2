from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [path("", views.trial_balance, name="trial_balance")]
