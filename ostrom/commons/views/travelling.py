"""Pages: travelling (being built; the URL names are the contract other parts link to)."""

from django.http import Http404
from django.urls import path


def not_yet(request, **kwargs):
    raise Http404("Not built yet.")


urlpatterns = [
    path("services/", not_yet, name="commons-services"),
    path("services/<slug:service_slug>/", not_yet, name="commons-service"),
]
