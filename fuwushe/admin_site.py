"""Callbacks that the admin theme (settings.UNFOLD) calls for every page."""

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static


def environment_label(request: HttpRequest) -> list[str] | None:
    """Mark non-production sites so that nobody mistakes demo data for real people."""
    if settings.PRODUCTION:
        return None
    return ["开发演示环境", "warning"]


def stylesheet(request: HttpRequest) -> str:
    return static("fuwushe/admin.css")
