from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class ConfigConfig(AppConfig):
    name = "fuwushe.config"
    label = "config"
    verbose_name = "系统设置"

    def ready(self) -> None:
        # Each app registers its own options in `<app>/config_options.py`, the way admin
        # classes live in `<app>/admin.py`; importing them here makes every option known
        # before the first request, the admin form and the system checks.
        autodiscover_modules("config_options")
