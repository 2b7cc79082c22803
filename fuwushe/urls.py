from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from fuwushe.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("api/", include("fuwushe.api")),
    path("files/", include("fuwushe.files.urls")),
    path("healthz", healthz, name="healthz"),
]

handler400 = "fuwushe.errors.bad_request"
handler403 = "fuwushe.errors.permission_denied"
handler404 = "fuwushe.errors.page_not_found"
handler500 = "fuwushe.errors.server_error"
