"""Typed reads of settings, cached in Redis; an option without an override has its default."""

import logging
from typing import Any, NamedTuple, TypeVar, overload

from django.core.cache import cache
from django.core.exceptions import ValidationError

from fuwushe.config.models import ConfigValue
from fuwushe.config.registry import Option, all_options, get_option

T = TypeVar("T")

logger = logging.getLogger(__name__)

# Bounded so that a change made outside config_set (a restore, raw SQL) shows within the hour.
CACHE_TIMEOUT = 60 * 60
_MISSING = object()


class CurrentValue(NamedTuple):
    option: Option[Any]
    value: Any
    is_default: bool


def cache_key(key: str) -> str:
    return f"config:{key}"


def _stored(key: str) -> object:
    """The override as stored (None: none), from the cache or else the database."""
    stored = cache.get(cache_key(key), _MISSING)
    if stored is _MISSING:
        stored = ConfigValue.objects.filter(key=key).values_list("value", flat=True).first()
        cache.set(cache_key(key), stored, CACHE_TIMEOUT)
    return stored


def _resolve(option: Option[T], stored: object) -> T:
    try:
        return option.resolve(stored)
    except ValidationError:
        # A rule tightened in code after the override was saved: the default is safe.
        logger.warning("Config override of %s no longer valid; using the default", option.key)
        return option.resolve(None)


@overload
def config_get(key: Option[T]) -> T: ...
@overload
def config_get(key: str) -> Any: ...
def config_get(key: "Option[Any] | str") -> Any:
    """The current value of an option (by handle or key); unknown key → KeyError."""
    option = key if isinstance(key, Option) else get_option(key)
    return _resolve(option, _stored(option.key))


def config_all() -> list[CurrentValue]:
    """Every option with its current value and whether that is the code default."""
    overrides = dict(ConfigValue.objects.values_list("key", "value"))
    return [
        CurrentValue(
            option,
            _resolve(option, overrides.get(option.key)),
            option.key not in overrides,
        )
        for option in all_options()
    ]
