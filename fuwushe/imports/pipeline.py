"""The import pipeline: read, validate (a preview), then apply exactly what was validated.

All or nothing by default: a file with errors writes nothing unless the caller chooses
to apply the valid rows only. Every run is recorded in `ImportRun`, with the kept file.
Writes are attributed to the importing user in the audit history (bulk paths included).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from fuwushe.audit.tracking import acting_as
from fuwushe.files.models import PrivateFile
from fuwushe.files.services import private_file_create
from fuwushe.imports.models import ImportRun
from fuwushe.imports.reading import Rejected, open_table
from fuwushe.imports.registry import ImportContext, Plan, get_importer
from fuwushe.org.models import Club, Community
from fuwushe.org.scoping import CENTER_SCOPE, scope_for

# A run keeps this many errors (and as many warnings) for the preview; the counts are
# always exact.
MAX_STORED_ERRORS = 5000


def import_context(*, actor: Any, club: Club | None) -> ImportContext:
    """The actor's scope; None (the command line without --user) acts for the center."""
    scope = CENTER_SCOPE if actor is None else scope_for(actor)
    if club is not None and not scope.covers_owner(club=club):
        raise PermissionDenied(f"您无权向“{club}”导入数据。")
    return ImportContext(actor=actor, scope=scope, club=club)


def import_validate(
    *,
    kind: str,
    data: bytes,
    file_name: str,
    actor: Any,
    club: Club | None = None,
    operator: str = "",
    keep_plan: bool = True,
    community_map: Mapping[str, Community] | None = None,
) -> tuple[ImportRun, Plan | None]:
    """Read and check a file, record the run, and return it with its plan (None if rejected).

    `keep_plan` stores the plan on the run so that a later request can apply it.
    """
    importer = get_importer(kind)
    context = import_context(actor=actor, club=club)
    context.community_map = community_map or {}
    run = ImportRun(kind=kind, file_name=file_name[:255], user=actor, operator=operator[:100])
    try:
        table = open_table(data, importer.columns)
        plan = importer.validate(table, context)
    except Rejected as rejected:
        run.status = ImportRun.Status.REJECTED
        run.rejected_code = rejected.code
        run.message = rejected.message
        # A club user's refused file is still theirs to see.
        run.club_id = club.pk if club else context.scope.club_id
        run.department_id = None if run.club_id else context.scope.department_id
        run.save()
        return run, None
    _own(run, plan, context)
    run.status = ImportRun.Status.VALIDATED
    _count(run, plan)
    run.file = _keep_file(data, file_name, run, actor)
    run.plan = plan.as_dict() if keep_plan else None
    run.save()
    return run, plan


def _own(run: ImportRun, plan: Plan, context: ImportContext) -> None:
    """The run belongs to its rows' club (a club user's own club when no row was valid),
    else the importer's department, else the center."""
    chosen = context.club.pk if context.club is not None else None
    club_id = plan.club_id or context.scope.club_id or chosen
    if club_id is not None:
        run.club_id = club_id
    elif context.scope.department_id is not None:
        run.department_id = context.scope.department_id


def _count(run: ImportRun, plan: Plan) -> None:
    run.rows = plan.rows
    run.created, run.updated, run.unchanged = plan.created, plan.updated, plan.unchanged
    run.error_rows = plan.error_rows
    run.errors = [error.as_dict() for error in plan.errors[:MAX_STORED_ERRORS]]
    run.warning_count = len(plan.warnings)
    run.warnings = [warning.as_dict() for warning in plan.warnings[:MAX_STORED_ERRORS]]


def _keep_file(data: bytes, file_name: str, run: ImportRun, actor: Any) -> PrivateFile:
    return private_file_create(
        user=actor,
        system=actor is None,
        upload=ContentFile(data, name=file_name),
        purpose=PrivateFile.Purpose.IMPORT,
        club=run.club,
        department=run.department,
    )


def import_apply(
    *, run: ImportRun, actor: Any, plan: Plan | None = None, valid_only: bool = False
) -> ImportRun:
    """Write what validation planned, in one transaction; refuse when rows had errors
    unless `valid_only`. Nothing is half-written: any failure rolls everything back."""
    if run.status != ImportRun.Status.VALIDATED:
        raise ValidationError(f"这次导入的状态是“{run.get_status_display()}”，不能再导入。")
    if actor is not None and not ImportRun.objects.for_user(actor).filter(pk=run.pk).exists():
        raise PermissionDenied("您无权执行这次导入。")
    if plan is None:
        if run.plan is None:
            raise ValidationError("这次导入没有保存校验结果，请重新上传文件。")
        plan = Plan.from_dict(run.plan)
    run.valid_only = valid_only
    if plan.error_rows and not valid_only:
        run.status = ImportRun.Status.FAILED
        run.message = f"有 {plan.error_rows} 行数据有错误，没有导入任何数据。请改正后重新导入。"
        run.plan = None
        run.save()
        return run
    importer = get_importer(run.kind)
    context = import_context(actor=actor, club=None)
    with transaction.atomic(), acting_as(actor, source=f"导入#{run.pk}"):
        importer.apply(plan, context, valid_only=valid_only)
        run.status = ImportRun.Status.APPLIED
        run.applied_at = timezone.now()
        run.message = _applied_message(plan)
        run.plan = None
        run.save()
    return run


def _applied_message(plan: Plan) -> str:
    skipped = f"，跳过有错误的 {plan.error_rows} 行" if plan.error_rows else ""
    return f"新增 {plan.created} 条，更新 {plan.updated} 条，无变化 {plan.unchanged} 条{skipped}。"
