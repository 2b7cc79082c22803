"""API building blocks for scoped models: the one place the API applies `for_user`."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from fuwushe.org.admin_base import scoped_related_queryset


class ScopedViewSetMixin:
    """List, detail and writes only ever see rows inside the user's scope (others 404)."""

    request: Any

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]
        return queryset.for_user(self.request.user)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related field whose choices are narrowed to the user's scope.

    DRF does not filter related-field choices by itself: without this a club user could
    attach a record to another club by its id.
    """

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if queryset is None:
            raise TypeError("ScopedPrimaryKeyRelatedField needs a queryset")
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return scoped_related_queryset(queryset.model, request).filter(pk__in=queryset.values("pk"))
