from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "fenxiao.aftersales"
    label = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from fenxiao.trade import hooks

        from .money import units_not_to_ship

        hooks.register(hooks.UNITS_NOT_TO_SHIP, units_not_to_ship)
