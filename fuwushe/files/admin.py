from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from unfold.widgets import UnfoldAdminFileFieldWidget

from fuwushe.files import services
from fuwushe.files.models import PrivateFile
from fuwushe.files.validation import validate_upload
from fuwushe.org.admin_base import ScopedAdmin
from fuwushe.org.scoping import scope_for


class PrivateFileUploadForm(forms.ModelForm):
    upload = forms.FileField(label="文件", widget=UnfoldAdminFileFieldWidget)
    user: Any = None  # the uploader, set per request by PrivateFileAdmin.get_form

    class Meta:
        model = PrivateFile
        fields = ("purpose", "club", "department")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("upload") is not None and data.get("purpose"):
            try:
                validate_upload(data["upload"], purpose=data["purpose"])
            except ValidationError as exc:
                self.add_error("upload", exc)
        try:
            services.ensure_may_own(
                self.user, club=data.get("club"), department=data.get("department")
            )
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc
        return data


@admin.register(PrivateFile)
class PrivateFileAdmin(ScopedAdmin):
    """Upload through the service; afterwards a file is only viewed, downloaded or deleted."""

    list_display = (
        "original_name",
        "purpose",
        "club",
        "department",
        "size_display",
        "uploaded_by",
        "uploaded_at",
        "download_link",
    )
    list_filter = ("purpose", "club", "department")
    list_select_related = ("club", "department", "uploaded_by")
    search_fields = ("original_name",)
    date_hierarchy = "uploaded_at"
    add_fieldsets = ((None, {"fields": ("upload", "purpose", "club", "department")}),)
    # The file field itself is never shown: its storage path is not an address.
    fieldsets = (
        (None, {"fields": ("original_name", "download_link", "purpose", "club", "department")}),
        ("文件信息", {"fields": ("content_type", "size_display", "sha256")}),
        ("上传记录", {"fields": ("uploaded_by", "uploaded_at")}),
    )
    readonly_fields = ("download_link", "size_display")

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        form = super().get_form(request, obj, form=PrivateFileUploadForm, **kwargs)

        class RequestUploadForm(form):  # type: ignore[valid-type, misc]
            user = request.user

        return RequestUploadForm

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        scope = scope_for(request.user)
        if scope.club_id is not None:
            initial.setdefault("club", scope.club_id)
        elif scope.department_id is not None:
            initial.setdefault("department", scope.department_id)
        return initial

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = services.private_file_create(
            user=request.user,
            upload=form.cleaned_data["upload"],
            purpose=obj.purpose,
            club=obj.club,
            department=obj.department,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.private_file_delete(user=request.user, file=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for private_file in queryset:
            services.private_file_delete(user=request.user, file=private_file)

    @admin.display(description="大小", ordering="size")
    def size_display(self, private_file: PrivateFile) -> str:
        return filesizeformat(private_file.size)

    @admin.display(description="下载")
    def download_link(self, private_file: PrivateFile) -> str:
        url = reverse("files:download", args=[private_file.pk])
        return format_html('<a href="{}">下载</a>', url)
