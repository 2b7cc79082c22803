"""API building blocks for scoped models: the one place the API applies `for_user`."""

from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from rest_framework import serializers

from fuwushe.org.admin_base import scoped_related_queryset

# Sent by the browsable API's HTML forms beside the serializer's own fields.
FORM_ONLY_KEYS = {"csrfmiddlewaretoken"}


def refuse_unknown_fields(serializer: serializers.BaseSerializer[Any]) -> None:
    """Refuse input naming a field the serializer lacks, or changing one that is read-only.

    DRF drops such keys silently, so a client that misspells a field, or tries to set one
    it may not, would be told its write succeeded. A read-only field sent back exactly as
    the API shows it (a PUT of what a GET returned) changes nothing and passes. Read from
    the constructed serializer's fields, so a field made read-only for this user alone is
    refused too.
    """
    data = getattr(serializer, "initial_data", None)
    if not isinstance(serializer, serializers.Serializer) or not isinstance(data, Mapping):
        return
    fields = serializer.fields
    shown: Mapping[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    for key in data:
        field = fields.get(key)
        if key in FORM_ONLY_KEYS:
            continue
        if field is None:
            errors[key] = [f"未知字段：{key}"]
        elif field.read_only:
            if shown is None:
                instance = serializer.instance
                shown = serializer.to_representation(instance) if instance is not None else {}
            if key not in shown or shown[key] != data[key]:
                errors[key] = [f"字段“{field.label or key}”是只读的，不能修改。"]
    if errors:
        raise serializers.ValidationError(errors)


class ScopedViewSetMixin:
    """List, detail and writes only ever see rows inside the user's scope (others 404).

    Writes name only fields the serializer accepts (`refuse_unknown_fields`).
    """

    request: Any

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]
        return queryset.for_user(self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        if "data" in kwargs:
            refuse_unknown_fields(serializer)
        return serializer


# How a wrong value's JSON type is named in the error.
_TYPE_NAMES = {bool: "布尔值", float: "小数", str: "文本", list: "列表", dict: "对象"}


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that is an integer, or a string of digits, within the key's range.

    DRF's own field reads 1.5 as 1, and a number beyond the column's range (1e400, a
    thousand digits) reaches the database or fails in int() with a 500.
    """

    default_error_messages = {
        "does_not_exist": "所选的“{label}”（编号 {pk_value}）不存在。",
        "incorrect_type": "“{label}”应填记录编号（整数），收到的是{data_type}。",
    }

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(self.record_id(data))

    def fail(self, key: str, **kwargs: Any) -> Any:
        label = self.label or self.field_name or "关联记录"
        return super().fail(key, label=label, **kwargs)

    def record_id(self, data: Any) -> int:
        if isinstance(data, str) and data.isascii() and data.isdigit():
            text = data
        elif isinstance(data, int) and not isinstance(data, bool):
            text = str(data) if data >= 0 else ""
        else:
            self.fail("incorrect_type", data_type=_TYPE_NAMES.get(type(data), "其他类型"))
        # Checked by length first: int() refuses to read thousands of digits.
        low, high = connection.ops.integer_field_range(self._key_type())
        if not text or len(text) > len(str(high)) or not low <= int(text) <= high:
            shown = str(data) if len(str(data)) <= 20 else f"{str(data)[:20]}…"
            self.fail("does_not_exist", pk_value=shown)
        return int(text)

    def _key_type(self) -> str:
        queryset = super().get_queryset()
        if queryset is None:
            raise TypeError(f"{type(self).__name__} needs a queryset")
        return str(queryset.model._meta.pk.get_internal_type())


class ScopedPrimaryKeyRelatedField(StrictPrimaryKeyRelatedField):
    """A related field whose choices are narrowed to the user's scope.

    DRF does not filter related-field choices by itself: without this a club user could
    attach a record to another club by its id.
    """

    default_error_messages = {
        "does_not_exist": "所选的“{label}”（编号 {pk_value}）不存在，或不在您的管理范围内。",
    }

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if queryset is None:
            raise TypeError("ScopedPrimaryKeyRelatedField needs a queryset")
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return scoped_related_queryset(queryset.model, request).filter(pk__in=queryset.values("pk"))
