"""The project's addresses plus notify's webhooks, for tests that run before config/urls.py includes them."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("ostrom.notify.urls")), *project_urlpatterns]
