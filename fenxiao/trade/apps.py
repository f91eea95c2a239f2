from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradeConfig(AppConfig):
    name = "fenxiao.trade"
    label = "trade"
    verbose_name = _("Trade")

    def ready(self) -> None:
        from fenxiao.payments import purposes

        from .payment_handlers import CheckoutPayments

        purposes.register(CheckoutPayments())
