"""Pages: allocation (being built; the URL names are the contract other parts link to)."""

from django.http import Http404
from django.urls import path


def not_yet(request, **kwargs):
    raise Http404("Not built yet.")


urlpatterns = [
    path("windows/", not_yet, name="commons-windows"),
    path("windows/<int:window_id>/", not_yet, name="commons-window"),
]
