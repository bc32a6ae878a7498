"""Pages: calendar (being built; the URL names are the contract other parts link to)."""

urlpatterns: list = []
