from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "fenxiao.crm"
    label = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from fenxiao.trade import extensions

        from .order_extension import CrmExtension

        extensions.register(CrmExtension())
