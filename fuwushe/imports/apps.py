from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "fuwushe.imports"
    label = "imports"
    verbose_name = "数据导入"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each domain app registers its importer in <app>/importers.py.
        autodiscover_modules("importers")
