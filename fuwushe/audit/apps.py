from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fuwushe.audit"
    label = "audit"
    verbose_name = "审计与访问记录"
