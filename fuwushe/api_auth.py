"""The API's authentication classes (settings.REST_FRAMEWORK).

Kept apart from the views: DRF imports these while it imports its own views.
"""

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

TEMPORARY_PASSWORD = "您正在使用临时密码：请先登录管理后台设置自己的新密码，再使用接口。"  # noqa: S105


class TokenAuthentication(authentication.TokenAuthentication):
    """A token stops working while its user's password is a temporary one."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if getattr(user, "must_change_password", False):
            raise exceptions.AuthenticationFailed(TEMPORARY_PASSWORD)
        return user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, refusing a missing CSRF token in Chinese."""

    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(
                "CSRF 校验失败：请刷新页面后重试。程序调用接口请使用令牌（Token）认证。"
            ) from None
