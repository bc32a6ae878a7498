"""Pages: rotas (being built)."""

urlpatterns: list = []
