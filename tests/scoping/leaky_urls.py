"""An admin with one model registered without scoping, for the walk's meta-test."""

from django.urls import path
from unfold.admin import ModelAdmin
from unfold.sites import UnfoldAdminSite

from fuwushe.org.admin_base import ScopedAdmin
from fuwushe.org.models import Community, Department

site = UnfoldAdminSite(name="admin")
site.register(Department, ScopedAdmin)
# The mistake the walk must catch: a plain ModelAdmin lists every club's rows.
site.register(Community, ModelAdmin)

urlpatterns = [path("admin/", site.urls)]
