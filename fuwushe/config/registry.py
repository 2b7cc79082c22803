"""The options the management center may change: type, default and rules, all in code.

An app registers its options once, at import time, in `<app>/config_options.py` (the
config app imports every such module when Django starts):

    VISIT_REMINDER = register(
        Option(key="visit_reminder_hour", label="提醒发送时刻", help_text="每天几点发送提醒。",
               type=int, default=8, min_value=0, max_value=23)
    )

and reads it with `fuwushe.config.selectors.config_get(VISIT_REMINDER)` (typed as the
option's type) or `config_get("visit_reminder_hour")`. Supported types: int, bool,
list[int] and dict[str, int].
"""

import copy
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured, ValidationError

T = TypeVar("T")

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
SUPPORTED_TYPES: tuple[object, ...] = (int, bool, list[int], dict[str, int])


def _is_int(value: object) -> bool:
    # JSON true/false arrive as bool, which Python counts as int.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, kw_only=True)
class Option(Generic[T]):
    """One setting: what it is called, its type, its default and the values it accepts.

    min_value / max_value bound an int, each item of a list and each value of a dict.
    A list must be non-empty; with ascending=True strictly increasing. A dict accepts only
    the keys of `key_labels` (or of the default); keys it leaves out keep their default.
    """

    key: str
    label: str
    help_text: str
    type: Any
    default: T
    min_value: int | None = None
    max_value: int | None = None
    ascending: bool = False
    key_labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not KEY_PATTERN.match(self.key):
            raise ImproperlyConfigured(f"Config option key {self.key!r} must be snake_case.")
        if self.type not in SUPPORTED_TYPES:
            raise ImproperlyConfigured(f"Config option {self.key!r} has unsupported type.")
        try:
            self.clean(self.default)
        except ValidationError as exc:
            raise ImproperlyConfigured(f"Default of {self.key!r} is invalid: {exc}") from exc

    @property
    def allowed_keys(self) -> dict[str, str]:
        """The keys a dict option accepts, with their labels, in display order."""
        if self.key_labels:
            return dict(self.key_labels)
        return {key: key for key in cast(dict[str, int], self.default)}

    def clean(self, value: object) -> T:
        """Return the value if it suits this option; else raise a ValidationError naming it."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise self._error("应为 true（是）或 false（否）")
        elif self.type is int:
            self._check_int(value, "")
        elif self.type == list[int]:
            self._check_list(value)
        else:
            self._check_dict(value)
        return cast(T, copy.deepcopy(value))

    def resolve(self, stored: object) -> T:
        """The effective value for a stored override (None: no override)."""
        if stored is None:
            return copy.deepcopy(self.default)
        value = self.clean(stored)
        if self.type == dict[str, int]:
            return cast(T, {**cast(dict[str, int], self.default), **cast(dict[str, int], value)})
        return value

    def describe(self) -> str:
        """The accepted values in words, for forms and the settings page."""
        bounds = self._describe_bounds()
        if self.type is bool:
            return "是/否（true 或 false）"
        if self.type is int:
            return f"整数{bounds}"
        if self.type == list[int]:
            order = "从小到大排列的" if self.ascending else ""
            return f"{order}整数列表，如 [50, 100]{bounds}"
        keys = "、".join(f"{key}（{label}）" for key, label in self.allowed_keys.items())
        example = next(iter(self.allowed_keys))
        return f'类别到整数的对应表，如 {{"{example}": 3}}{bounds}；类别：{keys}'

    def format(self, value: object) -> str:
        """A value as people read it: 是/否, 50、100, 住院 3 …"""
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list):
            return "、".join(str(item) for item in value)
        if isinstance(value, dict):
            labels = self.allowed_keys
            return "，".join(f"{labels.get(key, key)} {item}" for key, item in value.items())
        return str(value)

    def _describe_bounds(self) -> str:
        if self.min_value is not None and self.max_value is not None:
            return f"，取值 {self.min_value}–{self.max_value}"
        if self.min_value is not None:
            return f"，不小于 {self.min_value}"
        if self.max_value is not None:
            return f"，不大于 {self.max_value}"
        return ""

    def _check_int(self, value: object, where: str) -> None:
        if not _is_int(value):
            raise self._error(f"{where}应为整数，实际为 {value!r}")
        number = cast(int, value)
        if self.min_value is not None and number < self.min_value:
            raise self._error(f"{where}不能小于 {self.min_value}，实际为 {number}")
        if self.max_value is not None and number > self.max_value:
            raise self._error(f"{where}不能大于 {self.max_value}，实际为 {number}")

    def _check_list(self, value: object) -> None:
        if not isinstance(value, list):
            raise self._error("应为整数列表，例如 [50, 100, 200]")
        if not value:
            raise self._error("至少要有一项")
        for position, item in enumerate(value, start=1):
            self._check_int(item, f"第 {position} 项")
        if self.ascending and any(a >= b for a, b in itertools.pairwise(value)):
            raise self._error("应从小到大排列，且不能重复")

    def _check_dict(self, value: object) -> None:
        allowed = self.allowed_keys
        if not isinstance(value, dict):
            example = next(iter(allowed))
            raise self._error(f'应为类别到整数的对应表，例如 {{"{example}": 3}}')
        if not value:
            raise self._error("至少要填写一个类别")
        unknown = [str(key) for key in value if key not in allowed]
        if unknown:
            known = "、".join(f"{key}（{label}）" for key, label in allowed.items())
            raise self._error(f"没有类别 {'、'.join(unknown)}；可用的类别：{known}")
        for key, item in value.items():
            self._check_int(item, f"中“{allowed[key]}”")

    def _error(self, problem: str) -> ValidationError:
        return ValidationError(f"「{self.label}」{problem}。", code="invalid")


_options: dict[str, Option[Any]] = {}


def register(option: Option[T]) -> Option[T]:
    """Make an option known; returns it so that it can be kept as a typed handle."""
    if option.key in _options and _options[option.key] != option:
        raise ImproperlyConfigured(f"Config option {option.key!r} is registered twice.")
    _options[option.key] = option
    return option


def get_option(key: str) -> Option[Any]:
    try:
        return _options[key]
    except KeyError:
        raise KeyError(f"No config option {key!r} is registered.") from None


def all_options() -> list[Option[Any]]:
    """Every registered option, in the order of registration."""
    return list(_options.values())


def option_choices() -> list[tuple[str, str]]:
    """Choices for the key field: resolved lazily, so options registered later count."""
    return [(option.key, option.label) for option in _options.values()]


ADVANCED_AGE_THRESHOLD = register(
    Option(
        key="advanced_age_threshold",
        label="高龄年龄线",
        help_text="年满此岁数的党员算作高龄，所有统计、提醒和节日慰问都按这一条线。",
        type=int,
        default=80,
        min_value=60,
        max_value=120,
    )
)

VOLUNTEER_STAR_HOURS = register(
    Option(
        key="volunteer_star_hours",
        label="志愿者星级时长门槛",
        help_text="累计志愿服务达到各时长（小时）时评为一星、二星……，从小到大填写。",
        type=list[int],
        default=[50, 100, 200, 400, 800],
        min_value=1,
        ascending=True,
    )
)

VISIT_DEADLINE_DAYS = register(
    Option(
        key="visit_deadline_days",
        label="五必访时限（天）",
        help_text="各类必访在事由发生后多少天内应完成走访；未填写的类别按默认天数。",
        type=dict[str, int],
        default={"registration": 30, "hospital": 3, "special": 7, "festival": 15, "supporter": 30},
        min_value=1,
        max_value=365,
        key_labels={
            "registration": "党员登记",
            "hospital": "住院",
            "special": "特殊情况",
            "festival": "高龄党员节日慰问",
            "supporter": "支持党建工作的党员",
        },
    )
)

REMINDER_LEAD_DAYS = register(
    Option(
        key="reminder_lead_days",
        label="提醒提前天数",
        help_text="到期前多少天开始提醒负责人；0 表示到期当天提醒。",
        type=int,
        default=3,
        min_value=0,
        max_value=60,
    )
)
