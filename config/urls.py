from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("ostrom.communities.urls")),
    path("", include("ostrom.ledger.urls")),
    path("", include("ostrom.notify.urls")),
    path("", include("ostrom.market.urls")),
    path("", include("ostrom.commons.urls")),
    path("", include("ostrom.web.urls")),
]

handler400 = "ostrom.web.views.bad_request"
handler403 = "ostrom.web.views.permission_denied"
handler404 = "ostrom.web.views.page_not_found"
handler500 = "ostrom.web.views.server_error"
