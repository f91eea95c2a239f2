from django.apps import apps
from django.urls import include, path

from . import views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("ping", views.ping),
    path("readyz", views.readyz),
    # Oscar's own preview/place-order URL, served by the instant-payment subclass (it comes first).
    path("checkout/preview/", views.InstantPaymentDetailsView.as_view(preview=True)),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
