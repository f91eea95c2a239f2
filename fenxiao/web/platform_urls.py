"""The platform staff's pages under ``/platform/``: the home with the one platform menu, and
arbitration (also still at ``/aftersales/platform/``).  The ledger and the audit log mount their
own URLs under ``/platform/`` (``fenxiao/urls.py``)."""

from django.urls import path

from fenxiao.aftersales import platform_views
from fenxiao.core import task_views
from fenxiao.payments import platform_views as payments_platform_views

from . import views

app_name = "platform"

urlpatterns = [
    path("", views.platform_home, name="home"),
    path("arbitration/", platform_views.queue, name="arbitration"),
    path("funds-flow/", payments_platform_views.funds_flow_page, name="funds_flow"),
    path("tasks/", task_views.tasks, name="tasks"),
    path("tasks/<int:entry_id>/retry/", task_views.retry, name="task_retry"),
]
