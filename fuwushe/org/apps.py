from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups(**kwargs: Any) -> None:
    from fuwushe.org.roles import sync_role_groups

    sync_role_groups()


class OrgConfig(AppConfig):
    name = "fuwushe.org"
    label = "org"
    verbose_name = "组织与人员"

    def ready(self) -> None:
        from fuwushe.org.admin_base import cache_result_headers

        cache_result_headers()
        # After every app's migration, so that permissions of apps migrated later exist.
        post_migrate.connect(_sync_role_groups, dispatch_uid="fuwushe.org.sync_role_groups")
