"""Pages: bookings (being built; the URL names are the contract other parts link to)."""

from django.http import Http404
from django.urls import path


def not_yet(request, **kwargs):
    raise Http404("Not built yet.")


urlpatterns = [
    path("assets/<slug:asset_slug>/book/", not_yet, name="commons-book-asset"),
    path("kits/<slug:kit_slug>/book/", not_yet, name="commons-book-kit"),
    path("bookings/", not_yet, name="commons-my-bookings"),
    path("bookings/<int:booking_id>/", not_yet, name="commons-booking"),
    path("desk/", not_yet, name="commons-desk"),
]
