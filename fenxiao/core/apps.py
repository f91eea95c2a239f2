from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fenxiao.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from . import events  # noqa: F401 — registers the event-delivery job

        autodiscover_modules("jobs")
