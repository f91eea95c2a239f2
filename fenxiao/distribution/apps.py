from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "fenxiao.distribution"
    label = "distribution"
    verbose_name = _("Distribution")

    def ready(self) -> None:
        from fenxiao.payments import purposes
        from fenxiao.trade import extensions

        from . import signals  # noqa: F401 — a SKU's band, a visitor signing in (not the order path)
        from .order_extension import DistributionExtension
        from .withdrawals import WithdrawalPayouts

        extensions.register(DistributionExtension())
        purposes.register(WithdrawalPayouts())
