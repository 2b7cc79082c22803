"""Typed reads of settings, cached in Redis; an option without an override has its default.

The cache only saves queries: with Redis down or hung, every read goes to the database.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, overload

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from redis.exceptions import RedisError

from fuwushe.config.models import ConfigValue
from fuwushe.config.registry import Option, all_options, get_option

T = TypeVar("T")

logger = logging.getLogger(__name__)

# Bounded so that a change made outside config_set (a restore, raw SQL, a cache clear that
# failed during an outage) shows within the hour.
CACHE_TIMEOUT = 60 * 60
# After a failure, reads skip the cache for this long: a hung Redis would otherwise cost each
# request its socket timeout, and the log one warning per lookup.
CACHE_RETRY_AFTER = 30.0
_MISSING = object()
# Cache location → until when it is skipped. Keyed by location so that pointing the cache
# elsewhere (another server, a test's closed port) starts afresh.
_cache_down_until: dict[str, float] = {}


class CurrentValue(NamedTuple):
    option: Option[Any]
    value: Any
    is_default: bool


def cache_key(key: str) -> str:
    return f"config:{key}"


def _cache_call(call: Callable[[], T], otherwise: T, *, always: bool = False) -> T:
    """`call()` on the cache, or `otherwise` when Redis fails or failed a moment ago.

    `always` tries even then, and warns of each failure: dropping a stale value is worth a
    timeout, a read is not.
    """
    location = str(settings.CACHES["default"].get("LOCATION", ""))
    was_down = time.monotonic() < _cache_down_until.get(location, 0.0)
    if was_down and not always:
        return otherwise
    try:
        result = call()
    except RedisError as exc:
        if always or not was_down:
            logger.warning(
                "Settings cache unavailable (%s); settings are read from the database for now",
                type(exc).__name__,
            )
        _cache_down_until[location] = time.monotonic() + CACHE_RETRY_AFTER
        return otherwise
    _cache_down_until.pop(location, None)
    return result


def cache_drop(key: str) -> None:
    """Forget the cached value of an option once its override changed.

    During an outage this fails (with a warning): a value cached before the outage may come
    back with Redis, for at most CACHE_TIMEOUT.
    """
    _cache_call(lambda: cache.delete(cache_key(key)), None, always=True)


def _stored(key: str) -> object:
    """The override as stored (None: none), from the cache or else the database."""
    stored = _cache_call(lambda: cache.get(cache_key(key), _MISSING), _MISSING)
    if stored is _MISSING:
        stored = ConfigValue.objects.filter(key=key).values_list("value", flat=True).first()
        _cache_call(lambda: cache.set(cache_key(key), stored, CACHE_TIMEOUT), None)
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
