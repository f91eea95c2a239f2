from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "fenxiao.catalog"
    label = "catalog"
    verbose_name = _("Catalog and prices")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (cache invalidation receivers)
