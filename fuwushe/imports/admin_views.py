"""Our pipeline underneath django-import-export's admin import: its button, URLs and
permission hooks; our reader, our batched validation, and apply without re-reading.

A `ScopedAdmin` adds `PipelineImportMixin` and names its `import_kind`. The upload page
validates at once and shows the counts, the errors and the warnings; confirming applies the
plan kept on the `ImportRun`, all or nothing unless "只导入无误的行" is ticked. Unknown
community names may be mapped on the preview: remembered as aliases, then validated again.
"""

from collections import Counter
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
from fuwushe.org.models import Club, Community
from fuwushe.org.scoping import CLUB, NOWHERE, scope_for
from fuwushe.org.services import community_aliases_add

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


def unknown_communities(run: ImportRun) -> list[tuple[str, int]]:
    """The community names a run could not match, each with its number of rows."""
    names = Counter(w["value"] for w in run.warnings if w["code"] == "community_unknown")
    return list(names.items())


class CommunityMapForm(forms.Form):
    """For each unknown community name, which of the run's club's communities it means."""

    def __init__(self, *args: Any, run: ImportRun, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rows of several clubs: map in the command line or in the register instead.
        if run.club_id is None:
            self.names = []
            return
        self.names = [name for name, _rows in unknown_communities(run)]
        communities = Community.objects.for_user(user).filter(club_id=run.club_id)
        for index, name in enumerate(self.names):
            self.fields[f"community_{index}"] = forms.ModelChoiceField(
                label=name,
                queryset=communities,
                required=False,
                empty_label="（不指定，按未填写处理）",
                widget=UnfoldAdminSelectWidget,
            )

    def rows(self, run: ImportRun) -> list[tuple[str, int, Any]]:
        """Each unknown name, its row count, and its select (None when not mappable here)."""
        fields = {name: self[f"community_{i}"] for i, name in enumerate(self.names)}
        return [(name, rows, fields.get(name)) for name, rows in unknown_communities(run)]

    def chosen(self) -> dict[Community, list[str]]:
        """The communities picked, each with the names mapped to it."""
        picked: dict[Community, list[str]] = {}
        for index, name in enumerate(self.names):
            community = self.cleaned_data.get(f"community_{index}")
            if community is not None:
                picked.setdefault(community, []).append(name)
        return picked


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
        mapping = CommunityMapForm(request.POST, run=run, user=request.user)
        if not mapping.is_valid():
            return self._page(request, run=run, confirm=confirm, mapping=mapping)
        try:
            run = self._remap(request, run, mapping.chosen())
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

    def _remap(
        self, request: HttpRequest, run: ImportRun, chosen: dict[Community, list[str]]
    ) -> ImportRun:
        """Remember the mapped names as aliases, then validate the kept file again with them.

        Validating again (rather than patching the plan) keeps one path from file to plan.
        """
        if not chosen:
            return run
        with transaction.atomic():
            for community, names in chosen.items():
                community_aliases_add(actor=request.user, community=community, aliases=names)
        if run.file is None:
            raise ValidationError("这次导入没有保存原始文件，请重新上传文件。")
        with run.file.file.open("rb") as kept:
            data = kept.read()
        again, plan = import_validate(
            kind=run.kind, data=data, file_name=run.file_name, actor=request.user, club=run.club
        )
        run.status = ImportRun.Status.DISCARDED
        run.message = f"已按指定的小区重新校验，见导入记录 #{again.pk}。"
        run.plan = None
        run.save()
        if plan is None:
            raise ValidationError(again.message)
        return again

    def _page(self, request: HttpRequest, **context: Any) -> HttpResponse:
        run: ImportRun | None = context.get("run")
        if run is not None and "mapping" not in context:
            context["mapping"] = CommunityMapForm(run=run, user=request.user)
        page = {
            **self.admin_site.each_context(request),
            "title": f"导入{KINDS[self.import_kind]}",
            "opts": self.model._meta,
            "shown_errors": errors_for(request.user, run.errors[:SHOWN_ERRORS]) if run else [],
            "more_errors": max(len(run.errors) - SHOWN_ERRORS, 0) if run else 0,
            "shown_warnings": errors_for(request.user, run.warnings[:SHOWN_ERRORS]) if run else [],
            "more_warnings": max(len(run.warnings) - SHOWN_ERRORS, 0) if run else 0,
            "unknown_communities": context["mapping"].rows(run) if run else [],
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], page)
