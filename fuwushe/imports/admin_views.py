"""Our pipeline underneath django-import-export's admin import: its button, URLs and
permission hooks; our reader, our batched validation, and apply without re-reading.

A `ScopedAdmin` adds `PipelineImportMixin` and names its `import_kind`. The upload page
validates at once and shows the counts and the errors; confirming applies the plan kept
on the `ImportRun`, all or nothing unless "只导入无误的行" is ticked.
"""

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from fuwushe.imports.admin import errors_for
from fuwushe.imports.models import ImportRun
from fuwushe.imports.pipeline import import_apply, import_validate
from fuwushe.imports.reading import max_import_bytes
from fuwushe.imports.registry import KINDS
from fuwushe.org.admin_base import error_text
from fuwushe.org.models import Club
from fuwushe.org.scoping import CLUB, NOWHERE, scope_for

SHOWN_ERRORS = 200


class UploadForm(forms.Form):
    file = forms.FileField(
        label="台账文件",
        widget=UnfoldAdminFileFieldWidget,
        help_text="Excel（XLSX、XLS）或 CSV 文件；表头可以在标题行下面，列的顺序不限。",
    )
    club = forms.ModelChoiceField(
        label="导入到服务社",
        queryset=Club.objects.none(),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="文件有“所属服务社”列时可不选。",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clubs = Club.objects.active().for_user(user)
        field: Any = self.fields["club"]
        field.queryset = clubs
        if scope_for(user).level == CLUB:
            field.initial = clubs.first()


class ConfirmForm(forms.Form):
    run = forms.IntegerField(widget=forms.HiddenInput)
    valid_only = forms.BooleanField(
        label="只导入无误的行（有错误的行跳过，稍后改正再导入）", required=False
    )


class PipelineImportMixin(ImportMixin):
    """django-import-export's admin import, running on `fuwushe.imports.pipeline`."""

    import_kind: ClassVar[str]
    import_template_name = "admin/imports/import.html"

    def has_import_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(
            user.has_perm("imports.add_importrun")
            and self.has_add_permission(request)
            and scope_for(user).level != NOWHERE
        )

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read(max_import_bytes() + 1)
            try:
                run, plan = import_validate(
                    kind=self.import_kind,
                    data=data,
                    file_name=upload.name,
                    actor=request.user,
                    club=form.cleaned_data["club"],
                )
            except (PermissionDenied, ValidationError) as exc:
                form.add_error(None, error_text(exc))
            else:
                if plan is None:
                    form.add_error("file", run.message)
                else:
                    return self._page(
                        request, run=run, confirm=ConfirmForm(initial={"run": run.pk})
                    )
        return self._page(request, form=form)

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm = ConfirmForm(request.POST)
        if not confirm.is_valid():
            raise Http404
        run = (
            ImportRun.objects.for_user(request.user)
            .filter(pk=confirm.cleaned_data["run"], kind=self.import_kind)
            .first()
        )
        if run is None:
            raise Http404
        try:
            run = import_apply(
                run=run, actor=request.user, valid_only=confirm.cleaned_data["valid_only"]
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(request.path.replace("process_import/", "import/"))
        if run.status == ImportRun.Status.APPLIED:
            messages.success(request, f"“{run.file_name}”已导入：{run.message}")
        else:
            messages.error(request, run.message)
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def _page(self, request: HttpRequest, **context: Any) -> HttpResponse:
        run: ImportRun | None = context.get("run")
        page = {
            **self.admin_site.each_context(request),
            "title": f"导入{KINDS[self.import_kind]}",
            "opts": self.model._meta,
            "shown_errors": errors_for(request.user, run.errors[:SHOWN_ERRORS]) if run else [],
            "more_errors": max(len(run.errors) - SHOWN_ERRORS, 0) if run else 0,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], page)
