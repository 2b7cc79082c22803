"""The REST API's root: one router that every app registers its viewsets on."""

import hashlib
import logging
from typing import Any

import redis
from django.urls import include, path
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import exceptions, serializers, throttling
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from fuwushe.api_auth import TEMPORARY_PASSWORD

logger = logging.getLogger(__name__)

router = SimpleRouter()


@extend_schema(exclude=True)
@api_view(["GET"])
def api_root(request: Request, format: str | None = None) -> Response:
    """List the API's entry points."""
    links = {
        prefix: reverse(f"api:{basename}-list", request=request, format=format)
        for prefix, _viewset, basename in router.registry
    }
    for name in ("me", "token", "schema", "docs"):
        links[name] = reverse(f"api:{name}", request=request, format=format)
    return Response(links)


@extend_schema(
    summary="当前用户",
    responses=inline_serializer(
        "CurrentUser",
        fields={
            "username": serializers.CharField(),
            "full_name": serializers.CharField(),
            "is_superuser": serializers.BooleanField(),
        },
    ),
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Describe the signed-in user; clients use it to check their credentials."""
    user: Any = request.user
    return Response(
        {
            "username": user.username,
            "full_name": user.get_full_name(),
            "is_superuser": user.is_superuser,
        }
    )


# --- Signing in ---------------------------------------------------------------------------


class ProjectSessionScheme(SessionScheme):
    """Document the project's session authentication as DRF's (the schema's cookieAuth)."""

    target_class = "fuwushe.api_auth.SessionAuthentication"


class FailOpenThrottleMixin:
    """Allow the request when the cache holding the counts is down, and say so in the log.

    A throttle slows guessing; it must never stop everyone from signing in.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return bool(super().allow_request(request, view))  # type: ignore[misc]
        except redis.RedisError:
            logger.warning("缓存不可用，令牌接口暂不限速", exc_info=True)
            return True


class TokenAddressThrottle(FailOpenThrottleMixin, throttling.SimpleRateThrottle):
    """Token requests per client address (the proxy's client, see NUM_PROXIES)."""

    scope = "token_address"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenUsernameThrottle(FailOpenThrottleMixin, throttling.SimpleRateThrottle):
    """Token requests per username, whichever addresses they come from."""

    scope = "token_username"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        ident = hashlib.sha256(username.strip().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token."""

    # The project's parsers and error handling, not the fixed list DRF's view sets.
    parser_classes = APIView.parser_classes
    throttle_classes = [TokenAddressThrottle, TokenUsernameThrottle]

    @extend_schema(
        summary="获取接口令牌",
        description=(
            "用用户名和密码换取接口令牌，之后的请求带上请求头 Authorization: Token <令牌>。"
            "临时密码须先在管理后台改为自己的密码；修改或重置密码后旧令牌失效。"
            "同一地址、同一用户名每分钟各限 10 次。"
        ),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if user.must_change_password:
            raise exceptions.PermissionDenied(TEMPORARY_PASSWORD)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


obtain_token = ObtainTokenView.as_view()


app_name = "api"
urlpatterns = [
    path("", api_root, name="root"),
    path("me/", me, name="me"),
    path("auth/token/", obtain_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # A module, not router.urls: it imports every app's api.py first.
    path("", include("fuwushe.api_routes")),
]
