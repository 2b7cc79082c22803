"""What every figure is computed over: a period, a part of the network, and a grouping.

The convention for figures (dashboards, reports, exports): a figures service is a selector

    def visits_made(*, period: Period, scope: FigureScope, group_by: GroupBy) -> FigureTable

that counts only rows inside `scope.apply(queryset)` and the period (`period.start` /
`period.end` for DateFields, `period.as_datetime_range()` for DateTimeFields), and returns
one `FigureRow` per group, each carrying the queryset behind its number, so that every
figure can be drilled down to the records it counts. The caller builds the scope from the
user (`FigureScope.for_user(user)`), or checks a requested one with `narrowed_to(user)`:
a figure never covers more of the network than the user may see.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from fuwushe.org.models import Club
from fuwushe.org.scoping import (
    CENTER,
    CLUB,
    DEPARTMENT,
    NOWHERE,
    Scope,
    ScopedQuerySet,
    scope_for,
)

M = TypeVar("M", bound=models.Model)

QUARTER_NAMES = ("一", "二", "三", "四")


class PeriodKind(models.TextChoices):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"
    CUSTOM = "custom", "自定义"


def _day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Period:
    """A span of whole days, `start` to `end` inclusive, in the network's time zone."""

    kind: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.kind not in PeriodKind.values:
            raise ValueError(f"统计期类型应为月度、季度、年度或自定义，实际为 {self.kind!r}。")
        if self.end < self.start:
            raise ValueError(
                f"结束日期（{_day_label(self.end)}）不能早于开始日期（{_day_label(self.start)}）。"
            )

    def __str__(self) -> str:
        return self.label

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        if not 1 <= month <= 12:
            raise ValueError(f"月份应为 1–12，实际为 {month}。")
        return cls(PeriodKind.MONTH, date(year, month, 1), _last_day(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        if not 1 <= quarter <= 4:
            raise ValueError(f"季度应为 1–4，实际为 {quarter}。")
        first_month = 3 * quarter - 2
        return cls(PeriodKind.QUARTER, date(year, first_month, 1), _last_day(year, first_month + 2))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def custom(cls, start: date, end: date) -> "Period":
        return cls(PeriodKind.CUSTOM, start, end)

    @classmethod
    def containing(cls, kind: str, day: date) -> "Period":
        """The month, quarter or year that `day` falls in."""
        if kind == PeriodKind.MONTH:
            return cls.month(day.year, day.month)
        if kind == PeriodKind.QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        if kind == PeriodKind.YEAR:
            return cls.year(day.year)
        raise ValueError("自定义统计期须给出开始和结束日期。")

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}年第{QUARTER_NAMES[(self.start.month - 1) // 3]}季度"
        if self.kind == PeriodKind.YEAR:
            return f"{self.start.year}年"
        if self.start == self.end:
            return _day_label(self.start)
        return f"{_day_label(self.start)}至{_day_label(self.end)}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[date]:
        """The first day of every month the period touches, in order."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=31)).replace(day=1)
        return months

    def previous(self) -> "Period":
        """The period of the same kind just before; a custom one of the same length."""
        if self.kind != PeriodKind.CUSTOM:
            return Period.containing(self.kind, self.start - timedelta(days=1))
        end = self.start - timedelta(days=1)
        return Period.custom(end - (self.end - self.start), end)

    def as_datetime_range(self, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
        """Aware [start, end) datetimes from midnight to midnight, for DateTimeField filters.

        Filter with `created_at__gte=start, created_at__lt=end`.
        """
        zone = tz or timezone.get_default_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


@dataclass(frozen=True)
class FigureScope:
    """The part of the network a figure covers: the center (all), a department or a club."""

    level: str
    department_id: int | None = None
    club_id: int | None = None

    def __post_init__(self) -> None:
        ids = (self.department_id is not None, self.club_id is not None)
        expected = {CENTER: (False, False), DEPARTMENT: (True, False), CLUB: (False, True)}
        if expected.get(self.level) != ids:
            raise ValueError(f"Invalid figure scope: {self!r}")

    @classmethod
    def center(cls) -> "FigureScope":
        return cls(CENTER)

    @classmethod
    def department(cls, department_id: int) -> "FigureScope":
        return cls(DEPARTMENT, department_id=department_id)

    @classmethod
    def club(cls, club_id: int) -> "FigureScope":
        return cls(CLUB, club_id=club_id)

    @classmethod
    def for_user(cls, user: Any) -> "FigureScope":
        """Everything the user may see: the whole network, their department or their club."""
        scope = scope_for(user)
        if scope.level == CENTER:
            return cls.center()
        if scope.level == DEPARTMENT and scope.department_id is not None:
            return cls.department(scope.department_id)
        if scope.level == CLUB and scope.club_id is not None:
            return cls.club(scope.club_id)
        raise PermissionDenied("您还没有任职单位，无法查看统计数据。")

    @property
    def scope(self) -> Scope:
        return Scope(self.level, department_id=self.department_id, club_id=self.club_id)

    def apply(self, queryset: ScopedQuerySet[M]) -> ScopedQuerySet[M]:
        """Narrow a scoped queryset to this part of the network."""
        return queryset.for_scope(self.scope)

    def narrowed_to(self, user: Any) -> "FigureScope":
        """This scope, if the user may see all of it; else PermissionDenied."""
        return self.within(scope_for(user))

    def within(self, scope: Scope) -> "FigureScope":
        """This scope, if `scope` (a user's) covers all of it; else PermissionDenied."""
        department_id = self.department_id
        if self.club_id is not None and scope.level == DEPARTMENT:
            department_id = (
                Club.objects.filter(pk=self.club_id).values_list("department_id", flat=True).first()
            )
        if not scope.covers(club_id=self.club_id, department_id=department_id):
            raise PermissionDenied(_REFUSALS.get(scope.level, _REFUSALS[NOWHERE]))
        return self


_REFUSALS = {
    DEPARTMENT: "您只能查看本服务部及其服务社的统计数据。",
    CLUB: "您只能查看本服务社的统计数据。",
    NOWHERE: "您还没有任职单位，无法查看统计数据。",
}


class GroupBy(models.TextChoices):
    CLUB = "club", "按服务社"
    DEPARTMENT = "department", "按服务部"
    MONTH = "month", "按月"
    KIND = "kind", "按类别"


@dataclass(frozen=True)
class FigureRow:
    """One number of a figure, with the records it counts (for drill-down).

    key: the group (club or department id, first day of the month, kind value).
    """

    key: str | int | date | None
    label: str
    value: int | Decimal
    # Not compared or printed: either would run the query.
    queryset: QuerySet[Any] = field(compare=False, repr=False)


class FigureTable(list[FigureRow]):
    """A figure's rows in display order, with their total.

    The total is the sum of the rows unless given: when groups overlap (one person in two
    kinds) the service passes the distinct count.
    """

    def __init__(
        self, rows: Iterable[FigureRow] = (), *, total: int | Decimal | None = None
    ) -> None:
        super().__init__(rows)
        self._total = total

    @property
    def total(self) -> int | Decimal:
        if self._total is not None:
            return self._total
        return sum((row.value for row in self), start=0)
