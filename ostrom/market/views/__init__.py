"""The marketplace's pages, one module a part, each listing its own urlpatterns (see market/urls.py)."""
