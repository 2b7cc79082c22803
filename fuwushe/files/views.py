import logging
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from fuwushe.files.models import PrivateFile

logger = logging.getLogger(__name__)


def _ensure_may_read_ledger(request: HttpRequest, private_file: PrivateFile) -> None:
    """An imported ledger holds ID numbers, phones and health notes in full: only those who
    may see them download it, and each download is in the sensitive access log."""
    from fuwushe.audit.access import record_sensitive_access
    from members.privacy import may_view_sensitive

    if not may_view_sensitive(request.user):
        raise Http404("文件不存在。")
    record_sensitive_access(
        user=request.user,
        action="export",
        subjects=[private_file],
        fields=["id_number", "phone", "health_note"],
        club_id=private_file.club_id,
        department_id=private_file.department_id,
        reason="下载导入的原始台账",
        request=request,
    )


@require_safe
@login_required
def download(request: HttpRequest, pk: UUID) -> FileResponse:
    """Send a file inside the user's scope; any other is "not found", not "forbidden"."""
    private_file = get_object_or_404(PrivateFile.objects.for_user(request.user), pk=pk)
    if private_file.purpose == PrivateFile.Purpose.IMPORT:
        _ensure_may_read_ledger(request, private_file)
    try:
        stored = private_file.file.open("rb")
    except FileNotFoundError:
        logger.error("Stored file missing for PrivateFile %s: %s", pk, private_file.file.name)
        raise Http404("文件不存在。") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=private_file.original_name,
        content_type=private_file.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
