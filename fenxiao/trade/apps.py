from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradeConfig(AppConfig):
    name = "fenxiao.trade"
    label = "trade"
    verbose_name = _("Trade")

    def ready(self) -> None:
        from fenxiao.catalog import price_display
        from fenxiao.payments import purposes

        from . import extensions
        from .payment_handlers import CheckoutPayments

        purposes.register(CheckoutPayments())
        # The product page (catalog) asks trade, the one source of visitor prices, which asks
        # the order extensions (distribution's store prices).
        price_display.register_price_source(extensions.visitor_unit_prices)
