"""Writes to private files: the only way a file is stored or removed."""

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from fuwushe.files.models import PrivateFile
from fuwushe.files.validation import Upload, clean_file_name, validate_upload
from fuwushe.org.models import Club, Department
from fuwushe.org.scoping import scope_for


def ensure_may_own(user: Any, *, club: Club | None, department: Department | None) -> None:
    """A file may only be given to an owner inside the user's scope."""
    if not scope_for(user).covers_owner(club=club, department=department):
        raise PermissionDenied("您只能为自己负责范围内的服务社或服务部保存文件。")


def private_file_create(
    *,
    user: Any,
    upload: Upload,
    purpose: str,
    club: Club | None = None,
    department: Department | None = None,
    system: bool = False,
) -> PrivateFile:
    """Check, store and record an upload; the stored file goes if the row cannot be written.

    `system=True` (with no user) is for the command line acting for the center.

    Called inside a larger transaction that later rolls back, the stored file stays
    behind without a row: unreachable (no row, no address), but taking space.
    """
    if system:
        if user is not None:
            raise ValueError("A system upload has no user.")
    else:
        ensure_may_own(user, club=club, department=department)
    file_type = validate_upload(upload, purpose=purpose)
    private_file = PrivateFile(
        original_name=clean_file_name(upload.name),
        content_type=file_type.content_type,
        size=upload.size,
        sha256=_sha256(upload),
        purpose=purpose,
        club=club,
        department=department,
        uploaded_by=user,
    )
    private_file.full_clean(exclude=["file"])
    # Stored under a random name: the user's name never reaches the disk.
    private_file.file.save(f"{private_file.pk.hex}{file_type.extension}", upload, save=False)
    try:
        with transaction.atomic():
            private_file.save()
    except Exception:
        private_file.file.delete(save=False)
        raise
    return private_file


def private_file_delete(*, user: Any, file: PrivateFile) -> None:
    """Remove the row now and the stored file once that is committed."""
    if not PrivateFile.objects.for_user(user).filter(pk=file.pk).exists():
        raise PermissionDenied("您无权删除这个文件。")
    stored = file.file
    with transaction.atomic():
        file.delete()
        transaction.on_commit(lambda: stored.delete(save=False))


def _sha256(upload: Upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()
