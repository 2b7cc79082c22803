from django.apps import AppConfig


class FuwusheConfig(AppConfig):
    """The project package as an app: project-wide management commands and templates."""

    name = "fuwushe"
    verbose_name = "党员服务社管理系统"
