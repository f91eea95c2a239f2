from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "fenxiao.aftersales"
    label = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from fenxiao.trade import extensions

        from .order_extension import AftersalesExtension

        extensions.register(AftersalesExtension())
