"""Pages: utilisation (being built)."""

urlpatterns: list = []
