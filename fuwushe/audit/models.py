from django.conf import settings
from django.db import models

from fuwushe.org.models import OwnedByClubOrDepartment, OwnedQuerySet


class SensitiveAccessQuerySet(OwnedQuerySet["SensitiveAccess"]):
    pass


class SensitiveAccess(OwnedByClubOrDepartment):
    """One viewing or export of sensitive personal data (ID number, health, hardship).

    Written only through `fuwushe.audit.access.record_sensitive_access`; never edited.
    Scoped by the club (or department) whose people were seen; an ID-number check
    (`members.lookups`) by the club or department of whoever checked.
    """

    class Action(models.TextChoices):
        REVEAL = "reveal", "查看完整信息"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"
        API = "api", "接口读取"
        LOOKUP = "lookup", "身份证号核对"
        BLOCKED = "blocked", "核对被暂停"

    occurred_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="sensitive_accesses",
        verbose_name="操作人",
    )
    action = models.CharField("操作", max_length=10, choices=Action)
    subject_type = models.CharField("数据类型", max_length=100)
    subject_ids = models.JSONField("涉及记录", default=list, blank=True)
    subject_count = models.PositiveIntegerField("涉及人数", default=0)
    fields = models.JSONField("涉及字段", default=list)
    reason = models.CharField("事由", max_length=200, blank=True)
    lookup_keys = models.JSONField(
        "计入次数限制的核对",
        default=list,
        blank=True,
        help_text="核对的身份证号的摘要（不是号码本身），每个号码在计数期内只计一次。",
    )
    path = models.CharField("页面", max_length=300, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    objects = SensitiveAccessQuerySet.as_manager()

    class Meta:
        verbose_name = "敏感信息访问记录"
        verbose_name_plural = "敏感信息访问记录"
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["subject_type", "occurred_at"]),
            # A user's checks in the rolling window (members.lookups).
            models.Index(
                fields=["user", "action", "occurred_at"], name="audit_access_user_lookups"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} {self.get_action_display()} {self.subject_type}（{self.subject_count}）"
        )
