from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fuwushe.audit.models import SensitiveAccess
from fuwushe.org.admin_base import ScopedAdmin


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ScopedAdmin):
    list_display = [
        "occurred_at",
        "user",
        "action",
        "subject_type",
        "subject_count",
        "club",
        # What a paused ID-number check says (members.lookups), among the rest.
        "reason",
    ]
    list_filter = ["action", "club"]
    list_select_related = ["user", "club"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
