from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "fenxiao.distribution"
    label = "distribution"
    verbose_name = _("Distribution")

    def ready(self) -> None:
        from . import commissions, signals, withdrawals  # noqa: F401 — signal receivers

        commissions.register()
        withdrawals.register()
