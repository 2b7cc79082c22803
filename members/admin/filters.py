"""List filters of the members admin."""

from collections.abc import Iterator
from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import (
    Q,
    QuerySet,
    TextChoices,
)
from django.http import HttpRequest

from members.admin.base import advanced_age
from members.models import (
    CARE_FLAGS,
    Member,
    MemberQuerySet,
    MemberRole,
    advanced_age_q,
)


def warn_ignored(request: HttpRequest, list_filter: admin.SimpleListFilter, shown: str) -> None:
    """Say that a filter value which is none of the choices (a hand-edited or hostile URL)
    was ignored, instead of letting it reach the database."""
    messages.warning(request, f"“{list_filter.title}”的筛选值无效，已按“{shown}”显示。")


class DefaultStatusFilter(admin.SimpleListFilter):
    """A status filter that applies its default until asked otherwise, like an "active"
    filter; "全部" shows every status."""

    title = "状态"
    parameter_name = "status"
    ALL = "all"
    statuses: type[TextChoices]
    default: str

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*self.statuses.choices, (self.ALL, "全部")]

    def current(self) -> str:
        value = self.value()
        return str(value) if value is not None and self.is_choice() else self.default

    def is_choice(self) -> bool:
        value = self.value()
        return value is None or value == self.ALL or value in self.statuses.values

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.is_choice():
            warn_ignored(request, self, self.statuses(self.default).label)
        if self.current() == self.ALL:
            return queryset
        return queryset.filter(status=self.current())

    def choices(self, changelist: Any) -> Iterator[Any]:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.current() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class StatusFilter(DefaultStatusFilter):
    statuses = Member.Status
    default = Member.Status.ACTIVE


AGE_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "under60": ("60岁以下", None, 60),
    "60": ("60–69岁", 60, 70),
    "70": ("70–79岁", 70, 80),
    "80": ("80–89岁", 80, 90),
    "90": ("90岁及以上", 90, None),
}
ADVANCED = "advanced"


class AgeBandFilter(admin.SimpleListFilter):
    title = "年龄段"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        bands = [(key, label) for key, (label, _, _) in AGE_BANDS.items()]
        return [*bands, (ADVANCED, f"高龄（{advanced_age(request)}岁及以上）")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        members = cast(MemberQuerySet, queryset)
        value = self.value()
        if value == ADVANCED:
            return members.aged_at_least(advanced_age(request))
        if value not in AGE_BANDS:
            if value is not None:
                warn_ignored(request, self, "全部")
            return members
        _, lowest, below = AGE_BANDS[value]
        if lowest is not None:
            members = members.aged_at_least(lowest)
        if below is not None:
            members = members.aged_under(below)
        return members


class CareFilter(admin.SimpleListFilter):
    title = "关怀情况"
    parameter_name = "care"
    ANY = "any"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*CARE_FLAGS.items(), (ADVANCED, "高龄"), (self.ANY, "任一关怀情况")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        members = cast(MemberQuerySet, queryset)
        if value in CARE_FLAGS:
            return members.filter(**{value: True})
        if value == ADVANCED:
            return members.advanced_age(threshold=advanced_age(request))
        if value == self.ANY:
            flagged = advanced_age_q(advanced_age(request))
            for flag in CARE_FLAGS:
                flagged |= Q(**{flag: True})
            return members.filter(flagged)
        if value is not None:
            warn_ignored(request, self, "全部")
        return members


class RoleFilter(admin.SimpleListFilter):
    title = "三长六员（现任）"
    parameter_name = "role"
    CAPTAINS = "captains"
    SIX = "six"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (self.CAPTAINS, "任一三长"),
            (self.SIX, "任一六员"),
            *MemberRole.Role.choices,
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        captains = [str(role) for role in MemberRole.THREE_CAPTAINS]
        if value == self.CAPTAINS:
            roles = captains
        elif value == self.SIX:
            roles = [role for role in MemberRole.Role.values if role not in captains]
        elif value in MemberRole.Role.values:
            roles = [value]
        else:
            if value is not None:
                warn_ignored(request, self, "全部")
            return queryset
        holders = MemberRole.objects.current().filter(role__in=roles).values("member_id")
        return queryset.filter(pk__in=holders)
