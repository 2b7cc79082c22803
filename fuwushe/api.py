"""The REST API's root: one router that every app registers its viewsets on."""

from typing import Any

from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter

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


app_name = "api"
urlpatterns = [
    path("", api_root, name="root"),
    path("me/", me, name="me"),
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # A module, not router.urls: it imports every app's api.py first.
    path("", include("fuwushe.api_routes")),
]
