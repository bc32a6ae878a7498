"""Pages: bookings (being built)."""

urlpatterns: list = []
