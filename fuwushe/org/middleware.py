from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from fuwushe.api_auth import TEMPORARY_PASSWORD
from fuwushe.errors import api_error, is_api


class PasswordChangeRequiredMiddleware:
    """Send a user with a temporary password to the password change page first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
        ):
            if is_api(request):
                # A client program cannot follow a redirect to a form; tell it why instead.
                return api_error(TEMPORARY_PASSWORD, 403)
            allowed = {
                reverse("admin:password_change"),
                reverse("admin:password_change_done"),
                reverse("admin:logout"),
                reverse("admin:jsi18n"),
            }
            if request.path not in allowed and not request.path.startswith("/static/"):
                messages.info(request, "您正在使用临时密码，请先设置自己的新密码。")
                return redirect("admin:password_change")
        return self.get_response(request)
