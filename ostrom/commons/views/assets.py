"""Pages: assets (being built)."""

urlpatterns: list = []
