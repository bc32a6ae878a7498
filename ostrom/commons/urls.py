"""The commons' pages, under /c/<slug>/commons/. Each views module lists its own patterns."""

from django.urls import include, path

from .views import allocation, assets, bookings, calendar, rotas, travelling, utilisation

urlpatterns = [
    path(
        "c/<slug:slug>/commons/",
        include(
            assets.urlpatterns
            + bookings.urlpatterns
            + utilisation.urlpatterns
            + calendar.urlpatterns
            + allocation.urlpatterns
            + travelling.urlpatterns
            + rotas.urlpatterns
        ),
    ),
]
