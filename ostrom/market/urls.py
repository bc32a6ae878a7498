"""The marketplace's pages, under /c/<slug>/market/. Each views module lists its own patterns."""

from django.urls import include, path

urlpatterns: list = [
    path("c/<slug:slug>/market/", include([])),
]
