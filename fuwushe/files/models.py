"""Private files: photos, attachments and kept import files, never served directly."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from fuwushe.audit.tracking import track
from fuwushe.org.models import OwnedByClubOrDepartment, OwnedQuerySet


class PrivateFileQuerySet(OwnedQuerySet["PrivateFile"]):
    pass


@track()
class PrivateFile(OwnedByClubOrDepartment):
    """One stored upload, owned by a club, a department or (neither) the center.

    Written only through `fuwushe.files.services`; the name on disk is generated, the
    user's file name is kept in `original_name` for downloads.
    """

    class Purpose(models.TextChoices):
        PHOTO = "photo", "照片"
        ATTACHMENT = "attachment", "附件"
        IMPORT = "import", "导入文件"

    # A UUID, so that a download address cannot be guessed from another one.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField("文件", upload_to="private/%Y/%m/", max_length=200)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256 校验值", max_length=64)
    purpose = models.CharField("用途", max_length=12, choices=Purpose)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
        help_text="为空表示由命令行导入保存。",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = PrivateFileQuerySet.as_manager()

    class Meta:
        verbose_name = "文件"
        verbose_name_plural = "文件"
        ordering = ("-uploaded_at",)
        constraints = (
            models.CheckConstraint(
                name="private_file_has_one_owner",
                condition=Q(club__isnull=True) | Q(department__isnull=True),
                violation_error_message="文件只能属于一个服务社或一个服务部（都不选则属于管理中心）。",
            ),
        )

    def __str__(self) -> str:
        return self.original_name
