"""The one helper that records who viewed or exported whose sensitive data."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.http import HttpRequest

from fuwushe.audit.models import SensitiveAccess


def record_sensitive_access(
    *,
    user: Any,
    action: str,
    subjects: Iterable[models.Model],
    fields: Sequence[str],
    club_id: int | None = None,
    department_id: int | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    subject_type: str = "",
    lookup_keys: Sequence[str] = (),
) -> SensitiveAccess | None:
    """Log one access to the sensitive `fields` of `subjects`; None when there were none.

    The entry belongs to the club (or department) whose people were seen, so that it is
    visible to the same people as the records themselves. An entry about no one in
    particular (a refused ID-number check) names its `subject_type` instead.
    """
    subjects = list(subjects)
    if not subjects and not subject_type:
        return None
    access = SensitiveAccess(
        user=user,
        action=action,
        club_id=club_id,
        department_id=department_id,
        subject_type=subjects[0]._meta.label_lower if subjects else subject_type,
        # Integer keys as they are; others (a private file's UUID) as text, for JSON.
        subject_ids=[s.pk if isinstance(s.pk, int) else str(s.pk) for s in subjects],
        subject_count=len(subjects),
        fields=list(fields),
        reason=reason[:200],
        lookup_keys=list(lookup_keys),
        path=request.get_full_path()[:300] if request else "",
        ip_address=request.META.get("REMOTE_ADDR") if request else None,
    )
    access.full_clean()
    access.save()
    return access
