from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "fenxiao.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from fenxiao.trade import extensions

        from . import (
            plugins,
            signals,  # noqa: F401 — forget cached offers when they change (not the order path)
        )
        from .coupons import CouponTool
        from .flash import FlashSaleTool
        from .groups import GroupBuyTool
        from .order_extension import MarketingExtension
        from .promotions import PromotionTool

        plugins.install(FlashSaleTool, GroupBuyTool, PromotionTool, CouponTool)
        extensions.register(MarketingExtension())
