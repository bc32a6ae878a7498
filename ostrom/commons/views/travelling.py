"""Pages: travelling (being built)."""

urlpatterns: list = []
