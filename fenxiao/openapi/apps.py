from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenApiConfig(AppConfig):
    name = "fenxiao.openapi"
    label = "openapi"
    verbose_name = _("Open platform")
