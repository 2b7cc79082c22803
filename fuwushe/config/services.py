"""The only writes to settings: center users only, validated by the option, audited."""

from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from fuwushe.config.models import ConfigValue
from fuwushe.config.registry import get_option
from fuwushe.config.selectors import cache_drop
from fuwushe.org.scoping import scope_for


def _require_center(user: Any) -> None:
    if not scope_for(user).is_center:
        raise PermissionDenied("只有管理中心的用户可以修改系统设置。")


@transaction.atomic
def config_set(*, user: Any, key: str, value: object) -> ConfigValue:
    """Override an option's default; the cached value is dropped once the change commits."""
    _require_center(user)
    option = get_option(key)
    cleaned = option.clean(value)
    config = ConfigValue.objects.select_for_update().filter(key=key).first()
    if config is None:
        config = ConfigValue(key=key)
    config.value = cleaned
    config.updated_by = user
    config.full_clean(validate_unique=False)
    config.save()
    transaction.on_commit(partial(cache_drop, key))
    return config


@transaction.atomic
def config_reset(*, user: Any, key: str) -> None:
    """Drop the center's override so that the option has its code default again."""
    _require_center(user)
    get_option(key)
    ConfigValue.objects.filter(key=key).delete()
    transaction.on_commit(partial(cache_drop, key))
