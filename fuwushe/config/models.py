from django.conf import settings
from django.db import models

from fuwushe.audit.tracking import track
from fuwushe.config.registry import get_option, option_choices


@track()
class ConfigValue(models.Model):
    """The center's override of one option; without a row the option has its code default.

    Written only through `fuwushe.config.services`; read through `config_get`.
    """

    key = models.CharField("设置项", max_length=100, unique=True, choices=option_choices)
    value = models.JSONField(
        "设定值",
        help_text=(
            '按设置项的要求填写：整数如 80；整数列表如 [50, 100, 200]；对应表如 {"hospital": 3}；'
            "是/否填 true 或 false。各项要求见列表页上方的“全部设置项”。"
        ),
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="修改人",
    )

    class Meta:
        verbose_name = "设置项"
        verbose_name_plural = "设置项"
        ordering = ("key",)

    def __str__(self) -> str:
        try:
            return get_option(self.key).label
        except KeyError:
            return self.key
