from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "fenxiao.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from . import plugins, signals, tools  # noqa: F401  (tools register themselves; cache receivers)

        plugins.install()
