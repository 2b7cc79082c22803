import json
import zlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

from fuwushe.audit.tracking import track
from fuwushe.files.models import PrivateFile
from fuwushe.org.models import OwnedByClubOrDepartment, OwnedQuerySet

if TYPE_CHECKING:
    _BinaryField = models.BinaryField[Any, Any]
else:
    _BinaryField = models.BinaryField


class CompressedJSONField(_BinaryField):
    """JSON kept zlib-compressed in a bytea column: a 40,000-row plan is 14 MB of JSON,
    3 MB compressed, and PostgreSQL spends longer parsing it as jsonb than the import
    spends checking a tenth of its rows. Nothing queries inside it."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(zlib.decompress(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return super().get_db_prep_value(zlib.compress(text.encode(), 1), connection, prepared)

    def to_python(self, value: Any) -> Any:
        return value


class ImportRunQuerySet(OwnedQuerySet["ImportRun"]):
    def without_plan(self) -> "ImportRunQuerySet":
        return self.defer("plan")


@track(exclude=["plan"])
class ImportRun(OwnedByClubOrDepartment):
    """One import of a ledger: who, when, the kept file, what was found and what was done.

    Owned by the club the rows belong to; an import across clubs (a 所属服务社 column)
    belongs to the center. Written only by `fuwushe.imports.pipeline`.
    """

    class Status(models.TextChoices):
        VALIDATED = "validated", "已校验，待导入"
        APPLIED = "applied", "已导入"
        FAILED = "failed", "有错误，未导入"
        REJECTED = "rejected", "文件被拒绝"
        DISCARDED = "discarded", "已放弃"

    kind = models.CharField("导入类型", max_length=20)
    file = models.ForeignKey(
        PrivateFile,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="原始文件",
    )
    file_name = models.CharField("文件名", max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    operator = models.CharField(
        "命令行操作者", max_length=100, blank=True, help_text="命令行导入时的系统用户。"
    )
    created_at = models.DateTimeField("校验时间", auto_now_add=True, db_index=True)
    applied_at = models.DateTimeField("导入时间", null=True, blank=True)
    status = models.CharField("结果", max_length=10, choices=Status)
    valid_only = models.BooleanField("只导入无误的行", default=False)
    rows = models.PositiveIntegerField("数据行数", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("无变化", default=0)
    error_rows = models.PositiveIntegerField("有错误的行", default=0)
    errors = models.JSONField("错误明细", default=list, blank=True)
    warning_count = models.PositiveIntegerField("提醒条数", default=0)
    warnings = models.JSONField(
        "提醒明细", default=list, blank=True, help_text="已导入但与原文不完全一样的内容。"
    )
    rejected_code = models.CharField("拒绝原因代码", max_length=30, blank=True)
    message = models.TextField("说明", blank=True)
    # What validation decided, applied later without reading the file again.
    plan = CompressedJSONField("导入计划", null=True, blank=True, editable=False)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"
