from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "fenxiao.analytics"
    label = "analytics"
    verbose_name = _("Data cube")

    def ready(self) -> None:
        from fenxiao.trade import hooks

        from . import rollups

        refunded = getattr(hooks, "REFUNDED", None)  # added by after-sales (issue 5)
        if refunded is not None and rollups.publish_refunded not in refunded:
            refunded.append(rollups.publish_refunded)
