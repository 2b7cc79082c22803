from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from fuwushe.config.models import ConfigValue
from fuwushe.config.registry import Option, get_option
from fuwushe.config.selectors import config_all
from fuwushe.config.services import config_reset, config_set
from fuwushe.org.scoping import scope_for


def _option(key: str) -> Option[Any] | None:
    try:
        return get_option(key)
    except KeyError:
        return None


class ConfigValueForm(forms.ModelForm):
    class Meta:
        model = ConfigValue
        fields = ("key", "value")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        key = cleaned.get("key") or self.instance.key
        option = _option(key) if key else None
        if option is not None and "value" in cleaned:
            try:
                cleaned["value"] = option.clean(cleaned["value"])
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


@admin.register(ConfigValue)
class ConfigValueAdmin(ModelAdmin):
    """Only the center sees or changes settings; every write goes through the services."""

    form = ConfigValueForm
    list_display = ("label", "current_value", "default_value", "updated_by", "updated_at")
    list_select_related = ("updated_by",)
    list_before_template = "config/overview.html"
    readonly_fields = ("rules", "default_value", "updated_by", "updated_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope_for(request.user).is_center

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope_for(request.user).is_center

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope_for(request.user).is_center

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope_for(request.user).is_center

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope_for(request.user).is_center

    def get_fields(self, request: HttpRequest, obj: ConfigValue | None = None) -> list[str]:
        if obj is None:
            return ["key", "value"]
        return ["key", "rules", "value", "default_value", "updated_by", "updated_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: ConfigValue | None = None
    ) -> tuple[str, ...]:
        # The key of an existing override is fixed: to move it, reset it and set another.
        return (*self.readonly_fields, "key") if obj else self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """Start "set" from the option's default when the overview link names the key."""
        initial = super().get_changeform_initial_data(request)
        option = _option(str(initial.get("key", "")))
        if option is not None:
            initial["value"] = option.default
        return initial

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self.has_view_permission(request):  # else the parent refuses with 403
            extra_context = {**(extra_context or {}), "config_overview": self._overview()}
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: ConfigValue, form: Any, change: bool) -> None:
        saved = config_set(user=request.user, key=obj.key, value=form.cleaned_data["value"])
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: ConfigValue) -> None:
        config_reset(user=request.user, key=obj.key)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ConfigValue]) -> None:
        for key in queryset.values_list("key", flat=True):
            config_reset(user=request.user, key=key)

    @admin.display(description="设置项", ordering="key")
    def label(self, obj: ConfigValue) -> str:
        return str(obj)

    @admin.display(description="当前值")
    def current_value(self, obj: ConfigValue) -> str:
        option = _option(obj.key)
        return option.format(option.resolve(obj.value)) if option else str(obj.value)

    @admin.display(description="默认值")
    def default_value(self, obj: ConfigValue) -> str:
        option = _option(obj.key)
        return option.format(option.default) if option else "（已不再使用的设置项）"

    @admin.display(description="说明")
    def rules(self, obj: ConfigValue) -> str:
        option = _option(obj.key)
        return f"{option.help_text} 可填写：{option.describe()}。" if option else ""

    def _overview(self) -> dict[str, Any]:
        """Every option with its current value, linking to set or change it."""
        overrides = dict(ConfigValue.objects.values_list("key", "pk"))
        rows = []
        for option, value, is_default in config_all():
            if is_default:
                url = reverse("admin:config_configvalue_add") + f"?key={option.key}"
            else:
                url = reverse("admin:config_configvalue_change", args=[overrides[option.key]])
            rows.append(
                [
                    format_html('<a href="{}" class="text-primary-600">{}</a>', url, option.label),
                    option.format(value),
                    "默认" if is_default else "已修改",
                    option.format(option.default),
                    f"{option.help_text} 可填写：{option.describe()}。",
                ]
            )
        return {"headers": ["设置项", "当前值", "状态", "默认值", "说明"], "rows": rows}
