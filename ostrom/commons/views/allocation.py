"""Pages: allocation (being built)."""

urlpatterns: list = []
