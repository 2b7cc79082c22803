#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwushe.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Django hides a settings error here and fails later with "Models aren't loaded
    # yet"; say what is wrong instead.
    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings to load
    except ImproperlyConfigured as exc:
        hint = "（开发时请设置 FUWUSHE_ENV=development；bin/run 和 bin/test 会自动设置。）"
        sys.exit(f"配置错误：{exc}\n{hint}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
