"""The admin base class for scoped models: the one place the admin applies `for_user`."""

from collections.abc import Callable, Iterator
from typing import Any

import pghistory.models
from django.apps import apps
from django.contrib.admin import RelatedFieldListFilter
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin

from fuwushe.org.scoping import is_scoped_model, scope_for


def error_text(exc: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one line for an admin message or form."""
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "您无权进行此操作。"


def is_center(request: HttpRequest) -> bool:
    return scope_for(request.user).is_center


def scoped_related_queryset(model: type[Model], request: HttpRequest) -> QuerySet[Any]:
    """Rows of `model` the user may pick: every scoped model is narrowed by `for_user`."""
    queryset = model._default_manager.all()
    if is_scoped_model(model):
        return queryset.for_user(request.user)  # type: ignore[attr-defined]
    return queryset


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A related-field list filter that offers only rows inside the user's scope."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        ordering = self.field_admin_ordering(field, request, model_admin)
        queryset = scoped_related_queryset(field.remote_field.model, request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(row.pk, str(row)) for row in queryset]


class CenterOnlyAdmin(ModelAdmin):
    """Admin for data that belongs to no club (vocabularies, area codes): the center keeps
    it, everyone else neither sees nor reaches it (clubs use it through their own pages)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_center(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_center(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_center(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_center(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_center(request) and super().has_delete_permission(request, obj)


class ScopedAdmin(ModelAdmin):
    """Admin for a scoped model: lists, object views, dropdowns, filters, autocomplete and
    history all go through `for_user`, so a user never reaches another club's rows."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset.for_user(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped_related_queryset(db_field.remote_field.model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped_related_queryset(db_field.remote_field.model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self._is_relation(entry):
                entry = (entry, ScopedRelatedFieldListFilter)
            filters.append(entry)
        return filters

    def _is_relation(self, lookup: str) -> bool:
        model: type[Model] = self.model
        field = None
        for part in lookup.split("__"):
            field = model._meta.get_field(part)
            if not field.is_relation:
                return False
            model = field.related_model  # type: ignore[assignment]
        return isinstance(field, models.ForeignKey | models.ManyToManyField | models.OneToOneField)

    def history_events(self, obj: Model) -> list[Any]:
        """The audit events shown on an object's history page, newest first.

        Admins whose page also edits related rows (a member's person, duties) add theirs.
        """
        return list(
            pghistory.models.Events.objects.tracks(obj).order_by("-pgh_created_at")[:HISTORY_LIMIT]
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The object's audit history from the database triggers (bulk writes included)."""
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        events = self.history_events(obj)
        context = {
            **self.admin_site.each_context(request),
            "title": f"修改历史：{obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "events": _event_rows(events, viewer=request.user),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/fuwushe_history.html", context)


LABELS = {"insert": "新建", "update": "修改", "delete": "删除"}
HISTORY_LIMIT = 500


def _field_labels(model: type[Model] | None) -> dict[str, str]:
    if model is None:
        return {}
    labels = {f.name: str(f.verbose_name) for f in model._meta.concrete_fields}
    labels.update({f.attname: str(f.verbose_name) for f in model._meta.concrete_fields})
    return labels


def _masked(model: type[Model] | None, name: str, value: Any) -> Any:
    """History never shows sensitive values in full: models list theirs in SENSITIVE_MASKS."""
    mask = getattr(model, "SENSITIVE_MASKS", {}).get(name)
    return mask(value) if mask is not None and isinstance(value, str) else value


def _who(user_id: int | None, users: dict[int, str]) -> str:
    if user_id is None:
        return "系统"
    return users.get(user_id, "其他单位工作人员")


def _event_rows(events: list[Any], *, viewer: Any) -> list[dict[str, Any]]:
    from fuwushe.org.models import User

    def metadata(event: Any) -> dict[str, Any]:
        # On the aggregated Events model the context is the metadata itself (JSON).
        return event.pgh_context or {}

    def tracked_model(event: Any) -> type[Model] | None:
        try:
            return apps.get_model(event.pgh_obj_model)
        except (LookupError, ValueError):
            return None

    user_ids = {metadata(e).get("user") for e in events} - {None}
    # Staff are scoped too: a change made by another club's staff (before a member's
    # transfer, say) shows who only to those who may see that person.
    users = {u.pk: str(u) for u in User.objects.for_user(viewer).filter(pk__in=user_ids)}
    rows = []
    for event in events:
        model = tracked_model(event)
        labels = _field_labels(model)
        rows.append(
            {
                "when": event.pgh_created_at,
                "action": LABELS.get(event.pgh_label, event.pgh_label),
                "record": str(model._meta.verbose_name) if model else "",
                "user": _who(metadata(event).get("user"), users),
                "source": metadata(event).get("source") or metadata(event).get("url") or "",
                "changes": [
                    {
                        "field": labels.get(name, name),
                        "before": _masked(model, name, change[0]),
                        "after": _masked(model, name, change[1]),
                    }
                    for name, change in sorted((event.pgh_diff or {}).items())
                ],
            }
        )
    return rows


def cache_result_headers() -> None:
    """Compute a change list's column headers once per page, not once per row.

    django-unfold 0.91's `items_for_result` calls `result_headers(cl)` for every row (to
    label each cell for small screens): 51 times for a page of 50 rows, a quarter of the
    page's server time. The headers depend on the change list alone (its columns, ordering
    and query string), so the first answer is kept on the ChangeList and reused.
    """
    global _unfold_result_headers
    from unfold.templatetags import unfold_list

    if getattr(unfold_list.result_headers, "cached_per_changelist", False):
        return
    _unfold_result_headers = unfold_list.result_headers

    def result_headers(cl: Any) -> Iterator[dict[str, Any]]:
        headers = cl.__dict__.get("_fuwushe_result_headers")
        if headers is None:
            headers = cl._fuwushe_result_headers = list(_unfold_result_headers(cl))
        return iter(headers)

    result_headers.cached_per_changelist = True  # type: ignore[attr-defined]
    unfold_list.result_headers = result_headers


# The theme's own header computation, called once per change list page.
_unfold_result_headers: Callable[[Any], Iterator[dict[str, Any]]]
