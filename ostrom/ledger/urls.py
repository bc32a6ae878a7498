"""The ledger's pages, under /c/<slug>/exchange/. Each views module lists its own patterns."""

from django.urls import include, path

from .views import accounts, coordination, links, requests, statements

urlpatterns = [
    path(
        "c/<slug:slug>/exchange/",
        include(
            accounts.urlpatterns
            + statements.urlpatterns
            + requests.urlpatterns
            + coordination.urlpatterns
            + links.urlpatterns
        ),
    ),
]
