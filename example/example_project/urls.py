"""URLs of the example project: the admin, and the automations' task and dashboard pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("automations/", include("automations.urls")),
]
