from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from fuwushe.imports.models import ImportRun
from fuwushe.imports.registry import KINDS
from fuwushe.org.admin_base import ScopedAdmin
from members.privacy import mask_numbers, mask_quoting, may_view_sensitive


def masked_error(error: dict[str, Any]) -> dict[str, Any]:
    """An error as someone who may not see ID numbers and phones in full sees it: the cell's
    value masked, and in the message the numbers it quotes (not its own examples)."""
    value = str(error["value"])
    return {**error, "value": mask_numbers(value), "message": mask_quoting(error["message"], value)}


def errors_for(user: Any, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run's errors as this user may see them."""
    return errors if may_view_sensitive(user) else [masked_error(e) for e in errors]


@admin.register(ImportRun)
class ImportRunAdmin(ScopedAdmin):
    """The record of every import: read-only, since runs are written by the pipeline alone."""

    list_display = (
        "created_at",
        "kind_display",
        "file_name",
        "club",
        "by",
        "status",
        "rows",
        "created",
        "updated",
        "unchanged",
        "error_rows",
        "warning_count",
    )
    list_filter = ("status", "kind", "club")
    list_select_related = ("club", "department", "user")
    search_fields = ("file_name",)
    date_hierarchy = "created_at"
    fieldsets = (
        ("导入", {"fields": ("kind_display", "file_link", "club", "department", "by")}),
        ("结果", {"fields": ("status", "message", "rejected_code", "valid_only")}),
        (
            "数量",
            {"fields": ("rows", "created", "updated", "unchanged", "error_rows", "warning_count")},
        ),
        ("时间", {"fields": ("created_at", "applied_at")}),
        ("错误明细", {"fields": ("error_table",)}),
        ("提醒明细", {"fields": ("warning_table",)}),
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        runs: Any = super().get_queryset(request)
        return runs.without_plan()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f for fields in self.fieldsets for f in fields[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="导入类型", ordering="kind")
    def kind_display(self, run: ImportRun) -> str:
        return KINDS.get(run.kind, run.kind)

    @admin.display(description="操作人")
    def by(self, run: ImportRun) -> str:
        if run.user_id:
            return str(run.user)
        return f"命令行（{run.operator}）" if run.operator else "命令行"

    @admin.display(description="原始文件")
    def file_link(self, run: ImportRun) -> str:
        if run.file_id is None:
            return "—"
        if not may_view_sensitive(getattr(run, "viewer", None)):
            return "（含完整身份证号，需授权查看）"
        return format_html(
            '<a href="{}">下载 {}</a>', reverse("files:download", args=[run.file_id]), run.file_name
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        run = super().get_object(request, object_id, from_field)
        if run is not None:
            run.viewer = request.user  # the error table masks numbers for this user
        return run

    @admin.display(description="错误明细（最多显示 200 条）")
    def error_table(self, run: ImportRun) -> str:
        return _cell_table(getattr(run, "viewer", None), run.errors)

    @admin.display(description="提醒明细（最多显示 200 条）")
    def warning_table(self, run: ImportRun) -> str:
        return _cell_table(getattr(run, "viewer", None), run.warnings)


def _cell_table(viewer: Any, items: list[dict[str, Any]]) -> str:
    if not items:
        return "—"
    shown = errors_for(viewer, items[:200])
    rows = format_html_join(
        "",
        "<tr><td>第 {} 行</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((e["row"], e["column"], e["value"], e["message"]) for e in shown),
    )
    return format_html(
        '<table class="w-full"><thead><tr><th>行</th><th>列</th><th>内容</th><th>问题</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        rows,
    )
