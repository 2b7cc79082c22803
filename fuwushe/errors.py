"""Django's error views (urls.handler400…500): JSON under /api/, a Chinese page elsewhere.

DRF answers the errors raised inside its views itself (fuwushe.api_errors); these answer
the rest — an unknown URL, a body refused before any view ran, a crash.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from rest_framework import exceptions

from fuwushe.api_errors import django_error_as_api

SERVER_ERROR = "系统出错了，刚才的操作没有完成。请稍后再试；如果一直出错，请联系管理中心。"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def api_error(detail: Any, status: int) -> JsonResponse:
    body = detail if isinstance(detail, dict) else {"detail": str(detail)}
    return JsonResponse(
        body, status=status, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")}
    )


def _page(template: str, status: int, **context: Any) -> HttpResponse:
    # Rendered without the request's context processors, as Django's own error views do:
    # the page must not fail again on whatever failed the request.
    return HttpResponse(loader.render_to_string(template, context), status=status)


def refuse(request: HttpRequest, message: str) -> HttpResponse:
    """Answer 400 with our own message (never an exception's text, which may say too much)."""
    if is_api(request):
        return api_error(message, 400)
    return _page("400.html", 400, message=message)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        api = django_error_as_api(exception) or exceptions.ParseError("请求不合法，无法处理。")
        return api_error(api.detail, api.status_code)
    return _page("400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our PermissionDenied messages are written for the user; Django's own carry none.
    if is_api(request):
        return api_error(str(exception) or exceptions.PermissionDenied.default_detail, 403)
    return _page("403.html", 403, message=str(exception))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_error(exceptions.NotFound.default_detail, 404)
    return _page("404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error(SERVER_ERROR, 500)
    return _page("500.html", 500)
