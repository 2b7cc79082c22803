"""How the API refuses: parsers that never crash on hostile bodies, and one exception handler.

Every error the API answers is JSON with a Chinese message; what would otherwise escape a
view as a 500 (a body too large or too deep, a constraint hit by a concurrent write) is
turned into the 4xx it really is here.
"""

import json
import logging
import re
from collections.abc import Mapping
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DataError, IntegrityError, models
from django.http import Http404
from rest_framework import exceptions, parsers, status
from rest_framework.parsers import DataAndFiles
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# Our payloads are flat records with a list or two; anything deeper is not for us, and a
# limit far below the interpreter's stops a hostile body before any recursion can fail.
MAX_JSON_DEPTH = 32

TOO_DEEP = "请求内容嵌套过深，无法处理。"
NUL_CHARACTER = "请求内容含有空字符（\\u0000），无法处理。"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "请求内容过大。"
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "这条记录刚刚已由他人修改，请刷新后核对。"
    default_code = "conflict"


class InvalidValue(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "提交的值超出允许的范围或格式不正确，请检查后重试。"
    default_code = "invalid"


# --- Parsers ----------------------------------------------------------------------------


def _encoding(parser_context: Mapping[str, Any] | None) -> str:
    """The body's charset; only a text encoding (DRF's check, with a Chinese refusal)."""
    encoding = str((parser_context or {}).get("encoding", settings.DEFAULT_CHARSET))
    try:
        "".encode(encoding)
    except (LookupError, UnicodeError):
        raise exceptions.ParseError("请求头 Content-Type 中的字符编码不受支持。") from None
    return encoding


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def check_parsed(data: Any) -> None:
    """Refuse data nested deeper than MAX_JSON_DEPTH or holding a NUL character anywhere.

    PostgreSQL cannot store NUL in text, so a NUL that reached a query would be a 500.
    Walked with a stack, not recursion, so the check itself cannot overflow.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(TOO_DEEP)
        if isinstance(value, str):
            if "\x00" in value:
                raise exceptions.ParseError(NUL_CHARACTER)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                stack.append((key, depth))
                stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with Chinese errors, a depth limit and no NUL characters."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = _encoding(parser_context)
        try:
            data = json.loads(stream.read().decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None
        except json.JSONDecodeError as exc:
            raise exceptions.ParseError(
                f"请求内容不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有误）。"
            ) from None
        except ValueError:
            # Undecodable bytes, NaN or Infinity, an integer of thousands of digits.
            raise exceptions.ParseError("请求内容不是有效的 JSON。") from None
        check_parsed(data)
        return data


class FormParser(parsers.FormParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        _encoding(parser_context)
        data = super().parse(stream, media_type, parser_context)
        check_parsed(dict(data.lists()))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        _encoding(parser_context)
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError("表单内容（multipart/form-data）格式不正确。") from None
        data = cast(DataAndFiles, parsed).data
        check_parsed(dict(data.lists()))
        return parsed


# --- The exception handler ---------------------------------------------------------------


def _megabytes(size: int | None) -> str:
    return f"{(size or 0) / 1024 / 1024:g} MB"


def django_error_as_api(exc: Exception) -> exceptions.APIException | None:
    """The API error for a request Django refused (too large, too many fields), if it is one."""
    if isinstance(exc, RequestDataTooBig):
        limit = _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return PayloadTooLarge(f"请求内容过大（上限 {limit}）。")
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(
            f"提交的字段过多（上限 {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} 个）。"
        )
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ParseError(
            f"一次提交的文件过多（上限 {settings.DATA_UPLOAD_MAX_NUMBER_FILES} 个）。"
        )
    if isinstance(exc, SuspiciousOperation | BadRequest):
        return exceptions.ParseError("请求不合法，无法处理。")
    return None


def _api_exception(exc: Exception) -> Exception:
    """The API error a Django or database exception stands for; others are left as they are."""
    if isinstance(exc, SuspiciousOperation):
        # Logged where Django's own handler would have logged it.
        security = logging.getLogger(f"django.security.{exc.__class__.__name__}")
        security.error(str(exc))
    refused = django_error_as_api(exc)
    if refused is not None:
        return refused
    if isinstance(exc, Http404):
        # Django's text is English and names the model ("No Member matches the given query").
        return exceptions.NotFound()
    if isinstance(exc, IntegrityError):
        return integrity_conflict(exc)
    if isinstance(exc, DataError):
        # Validation should have refused the value first; say so in the log, not a 500.
        logger.warning("API 请求的数据被数据库拒绝", exc_info=exc)
        return InvalidValue()
    return exc


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's handler, after mapping the errors above to API errors."""
    # Imported here: DRF imports this module's parsers while it imports its views.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(_api_exception(exc), dict(context))


# --- Constraint violations ---------------------------------------------------------------

_KEY_COLUMNS = re.compile(r"^Key \((?P<columns>[^)]*)\)=")


def _model_of_table(table: str | None) -> type[models.Model] | None:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    return None


def _constraint_fields(
    model: type[models.Model], name: str | None, detail: str | None
) -> "tuple[list[models.Field[Any, Any]], str | None]":
    """The fields a violated constraint covers, and its own message if it has one."""
    for constraint in model._meta.constraints:
        if constraint.name == name:
            message = None
            if constraint.violation_error_message != constraint.default_violation_error_message:
                message = str(constraint.violation_error_message)
            names = getattr(constraint, "fields", ())
            return [model._meta.get_field(field) for field in names], message  # type: ignore[misc]
    # A unique field's constraint has a generated name; PostgreSQL names its columns
    # (and their values, which are never repeated: they may be masked for this user).
    match = _KEY_COLUMNS.match(detail or "")
    columns = [c.strip().strip('"') for c in match["columns"].split(",")] if match else []
    by_column = {getattr(f, "column", None): f for f in model._meta.concrete_fields}
    return [by_column[c] for c in columns if c in by_column], None


def integrity_conflict(exc: IntegrityError) -> Conflict:
    """A 409 naming the field of the violated constraint, in the constraint's own words."""
    diag = getattr(exc.__cause__, "diag", None)
    table = getattr(diag, "table_name", None)
    name = getattr(diag, "constraint_name", None)
    logger.warning("并发写入违反数据库约束 %s（表 %s）", name, table)
    model = _model_of_table(table)
    if model is None:
        return Conflict()
    fields, message = _constraint_fields(model, name, getattr(diag, "message_detail", None))
    if len(fields) != 1:
        return Conflict(message or Conflict.default_detail)
    field = fields[0]
    message = message or (
        f"该{field.verbose_name}的{model._meta.verbose_name}刚刚已由他人登记，请刷新后核对。"
    )
    return Conflict({field.name: [message]})
