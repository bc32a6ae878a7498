"""The marketplace's pages, under /c/<slug>/market/. Each views module lists its own patterns."""

from django.urls import include, path

from .views import events, exchanges, listings, moderation, search, volunteering

urlpatterns = [
    path(
        "c/<slug:slug>/market/",
        include(
            search.urlpatterns
            + listings.urlpatterns
            + exchanges.urlpatterns
            + volunteering.urlpatterns
            + events.urlpatterns
            + moderation.urlpatterns
        ),
    ),
]
