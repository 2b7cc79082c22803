"""Request checks that come before any view."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from fuwushe.errors import refuse

NUL_REFUSED = "请求中含有空字符（\\u0000），无法处理。请检查链接或填写的内容。"


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    # A session cookie or token is looked up in the database as it came.
    if any("\x00" in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
        return True
    sources = [request.GET]
    # Only a urlencoded body: parsing a multipart one here would fix its upload handlers
    # before the view could choose them. Forms and the API refuse NUL in those themselves.
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        sources.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for source in sources
        for key, values in source.lists()
    )


class RefuseNulMiddleware:
    """Answer 400 to a request with a NUL character in its path, headers, query or form.

    PostgreSQL cannot hold NUL in text, so any such value that reached a query (an admin
    filter, an autocomplete term) would end in a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return refuse(request, NUL_REFUSED)
        return self.get_response(request)
