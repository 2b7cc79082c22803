from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "fuwushe.files"
    label = "files"
    verbose_name = "文件"
