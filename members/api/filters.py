"""Filters of the members API."""

from datetime import date
from typing import Any

import django_filters
from django.db.models import QuerySet

from fuwushe.org.models import Community
from members.models import (
    Member,
    MemberQuerySet,
    MemberTransfer,
    PartyApplicant,
    advanced_age_q,
    person_search_q,
)
from members.privacy import may_view_sensitive

# --- Filters --------------------------------------------------------------------------


class IntegerFilter(django_filters.NumberFilter):
    field_class = django_filters.fields.forms.IntegerField


class BoundedIntegerFilter(IntegerFilter):
    """A whole number from `low` to `high`: anything else (a year for an age, 10**20, "abc")
    is a 400 naming the parameter and the range, never a date out of range in a query."""

    def __init__(self, *args: Any, low: int, high: int, **kwargs: Any) -> None:
        super().__init__(*args, min_value=low, max_value=high, **kwargs)
        self.low, self.high = low, high

    def get_max_validator(self) -> None:
        return None  # max_value is the limit (and says so in Chinese)

    @property
    def field(self) -> Any:
        rule = f"{self.field_name}（{self.label}）须为 {self.low}–{self.high} 之间的整数。"
        self.extra["error_messages"] = dict.fromkeys(("invalid", "min_value", "max_value"), rule)
        return super().field


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the primary key last, so that pages never overlap."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        ordered = super().filter(qs, value)
        return ordered.order_by(*ordered.query.order_by, "pk") if value else ordered


# Ages are whole years from 0 to 150: a larger one would ask for a birth date before year 1.
MAX_AGE = 150
AGE_HELP = f"整数，0–{MAX_AGE}。"
SEARCH_HELP = "姓名、拼音全拼或首字母（如 wyg）、身份证号或电话的末几位、楼号、小区名。"


class MemberFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Member.Status.choices,
        label="状态",
        help_text="不填则全部（含已迁出、已故）；只看在册党员请填 active。",
    )
    community = django_filters.ModelChoiceFilter(
        field_name="person__community", queryset=Community.objects.all(), label="居住小区"
    )
    advanced_age = django_filters.BooleanFilter(
        method="filter_advanced_age", label="高龄", help_text="true 为达到高龄线（默认 80 岁）。"
    )
    age_min = BoundedIntegerFilter(
        method="filter_age_min", label="年龄不小于", low=0, high=MAX_AGE, help_text=AGE_HELP
    )
    age_max = BoundedIntegerFilter(
        method="filter_age_max", label="年龄不大于", low=0, high=MAX_AGE, help_text=AGE_HELP
    )
    golden_anniversary_year = BoundedIntegerFilter(
        method="filter_golden_anniversary_year",
        label="光荣在党50年年份",
        help_text="入党满 50 周年的日子落在这一年的党员（1950–2200）。",
        low=1950,
        high=2200,
    )
    search = django_filters.CharFilter(method="filter_search", label="搜索", help_text=SEARCH_HELP)
    ordering = StableOrderingFilter(
        fields=(
            ("person__name_pinyin", "name"),
            ("age", "age"),
            ("joined_party_on", "joined_party_on"),
        ),
        field_labels={
            "person__name_pinyin": "姓名拼音",
            "age": "年龄",
            "joined_party_on": "入党时间",
        },
        label="排序",
        help_text="name、age、joined_party_on，前加 - 为倒序，可用逗号组合。",
    )

    class Meta:
        model = Member
        fields = [
            "club",
            "status",
            "category",
            "community",
            "lives_alone",
            "childless",
            "widowed",
            "disabled",
            "hardship",
        ]

    def filter_search(self, queryset: MemberQuerySet, name: str, value: str) -> Any:
        return queryset.search(value, full_numbers=may_view_sensitive(self.request.user))

    def filter_advanced_age(self, queryset: MemberQuerySet, name: str, value: bool) -> Any:
        if value:
            return queryset.advanced_age()
        return queryset.exclude(advanced_age_q())

    def filter_age_min(self, queryset: MemberQuerySet, name: str, value: int) -> Any:
        return queryset.aged_at_least(value)

    def filter_age_max(self, queryset: MemberQuerySet, name: str, value: int) -> Any:
        return queryset.aged_under(value + 1)

    def filter_golden_anniversary_year(
        self, queryset: MemberQuerySet, name: str, value: int
    ) -> Any:
        return queryset.golden_anniversary_between(date(value, 1, 1), date(value, 12, 31))


class MemberTransferFilter(django_filters.FilterSet):
    class Meta:
        model = MemberTransfer
        fields = ["status", "member", "from_club", "to_club"]


class PartyApplicantFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="搜索", help_text=SEARCH_HELP)

    class Meta:
        model = PartyApplicant
        fields = ["club", "stage"]

    def filter_search(self, queryset: QuerySet[PartyApplicant], name: str, value: str) -> Any:
        full_numbers = may_view_sensitive(self.request.user)
        return queryset.filter(person_search_q(value, prefix="person__", full_numbers=full_numbers))
