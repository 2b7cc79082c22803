from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from fuwushe.figures import FigureRow, FigureScope, FigureTable, GroupBy, Period
from fuwushe.org.models import Club, Department, StaffPosting
from fuwushe.org.scoping import Scope
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_month_runs_from_its_first_to_its_last_day():
    march = Period.month(2026, 3)

    assert (march.kind, march.start, march.end) == ("month", date(2026, 3, 1), date(2026, 3, 31))
    assert Period.month(2026, 4).end == date(2026, 4, 30)


def test_february_of_a_leap_year_has_29_days():
    assert Period.month(2028, 2).end == date(2028, 2, 29)
    assert Period.month(2026, 2).end == date(2026, 2, 28)


def test_the_fourth_quarter_ends_on_december_31():
    q4 = Period.quarter(2026, 4)

    assert (q4.start, q4.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert (Period.quarter(2026, 1).start, Period.quarter(2026, 1).end) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
    )


def test_a_year_runs_from_january_1_to_december_31():
    year = Period.year(2026)

    assert (year.kind, year.start, year.end) == ("year", date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (Period.month(2026, 3), "2026年3月"),
        (Period.quarter(2026, 1), "2026年第一季度"),
        (Period.quarter(2026, 4), "2026年第四季度"),
        (Period.year(2026), "2026年"),
        (Period.custom(date(2026, 3, 1), date(2026, 5, 31)), "2026年3月1日至2026年5月31日"),
        (Period.custom(date(2026, 3, 8), date(2026, 3, 8)), "2026年3月8日"),
    ],
)
def test_a_period_is_labelled_in_chinese(period: Period, label: str):
    assert period.label == label
    assert str(period) == label


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (Period.month(2026, 3), Period.month(2026, 2)),
        (Period.month(2026, 1), Period.month(2025, 12)),
        (Period.quarter(2026, 1), Period.quarter(2025, 4)),
        (Period.quarter(2026, 3), Period.quarter(2026, 2)),
        (Period.year(2026), Period.year(2025)),
        (
            Period.custom(date(2026, 3, 1), date(2026, 3, 10)),
            Period.custom(date(2026, 2, 19), date(2026, 2, 28)),
        ),
    ],
)
def test_the_previous_period_is_the_one_of_the_same_kind_just_before(
    period: Period, previous: Period
):
    assert period.previous() == previous


def test_a_custom_period_cannot_end_before_it_starts():
    with pytest.raises(
        ValueError, match=r"结束日期（2026年3月1日）不能早于开始日期（2026年5月31日）"
    ):
        Period.custom(date(2026, 5, 31), date(2026, 3, 1))


def test_a_quarter_or_month_out_of_range_is_refused_in_chinese():
    with pytest.raises(ValueError, match="季度应为 1–4"):
        Period.quarter(2026, 5)
    with pytest.raises(ValueError, match="月份应为 1–12"):
        Period.month(2026, 13)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("month", Period.month(2026, 8)),
        ("quarter", Period.quarter(2026, 3)),
        ("year", Period.year(2026)),
    ],
)
def test_the_period_containing_a_day_is_found_by_kind(kind: str, expected: Period):
    assert Period.containing(kind, date(2026, 8, 15)) == expected


def test_there_is_no_custom_period_containing_a_day():
    with pytest.raises(ValueError, match="自定义统计期须给出开始和结束日期"):
        Period.containing("custom", date(2026, 8, 15))


def test_a_period_contains_its_first_and_last_day_only():
    q1 = Period.quarter(2026, 1)

    assert q1.contains(date(2026, 1, 1))
    assert q1.contains(date(2026, 3, 31))
    assert not q1.contains(date(2025, 12, 31))
    assert not q1.contains(date(2026, 4, 1))


def test_a_period_lists_the_months_it_covers():
    assert Period.quarter(2026, 4).months() == [
        date(2026, 10, 1),
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]
    assert Period.custom(date(2025, 12, 20), date(2026, 2, 3)).months() == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert len(Period.year(2026).months()) == 12


def test_the_datetime_range_runs_from_midnight_to_midnight_in_shanghai():
    start, end = Period.month(2026, 3).as_datetime_range()

    assert start == datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert end == datetime(2026, 4, 1, tzinfo=SHANGHAI)
    assert start.utcoffset() == timedelta(hours=8)
    assert start == datetime(2026, 2, 28, 16, tzinfo=UTC)


def test_the_datetime_range_ends_after_the_last_day_of_the_year():
    start, end = Period.year(2026).as_datetime_range(SHANGHAI)

    assert (start, end) == (
        datetime(2026, 1, 1, tzinfo=SHANGHAI),
        datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )


def test_the_datetime_range_can_be_taken_in_another_time_zone():
    start, end = Period.custom(date(2026, 3, 8), date(2026, 3, 8)).as_datetime_range(UTC)

    assert (start, end) == (datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))


def test_a_table_totals_its_rows_unless_told_otherwise():
    rows = [
        FigureRow(key=1, label="东利党员服务社", value=3, queryset=Club.objects.none()),
        FigureRow(
            key=2, label="萃苑党员服务社", value=Decimal("2.5"), queryset=Club.objects.none()
        ),
    ]

    assert FigureTable(rows).total == Decimal("5.5")
    assert FigureTable(rows, total=4).total == 4
    assert FigureTable().total == 0
    assert GroupBy.CLUB.label == "按服务社"


def test_a_figure_scope_is_center_department_or_club_only():
    with pytest.raises(ValueError):
        FigureScope("club", department_id=1, club_id=None)


@pytest.mark.django_db
class TestScopes:
    """Carol is at the center; Dave runs the first department, whose club 东利 Bob directs;
    萃苑 belongs to the second department."""

    @pytest.fixture(autouse=True)
    def network(self) -> None:
        self.first = Department.objects.create(code="D1", name="第一老年服务部")
        self.second = Department.objects.create(code="D2", name="第二老年服务部")
        self.dongli = Club.objects.create(code="C01", name="东利党员服务社", department=self.first)
        self.cuiyuan = Club.objects.create(
            code="C02", name="萃苑党员服务社", department=self.second
        )
        self.carol = UserFactory.create(username="carol", is_superuser=True)
        self.dave = self.posted("dave", level="department", department=self.first)
        self.bob = self.posted("bob", level="club", club=self.dongli)

    def posted(self, username: str, **posting: Any) -> Any:
        user = UserFactory.create(username=username)
        role = "department_admin" if posting["level"] == "department" else "director"
        StaffPosting.objects.create(user=user, role=role, **posting)
        return user

    def test_each_user_gets_the_figures_of_their_own_part_of_the_network(self):
        assert FigureScope.for_user(self.carol) == FigureScope.center()
        assert FigureScope.for_user(self.dave) == FigureScope.department(self.first.pk)
        assert FigureScope.for_user(self.bob) == FigureScope.club(self.dongli.pk)

    def test_a_user_without_a_posting_gets_no_figures(self):
        nobody = UserFactory.create(username="nobody")

        with pytest.raises(PermissionDenied, match="您还没有任职单位"):
            FigureScope.for_user(nobody)

    def test_a_scope_narrows_a_scoped_queryset(self):
        clubs = Club.objects.all()

        assert set(FigureScope.center().apply(clubs)) == {self.dongli, self.cuiyuan}
        assert list(FigureScope.department(self.second.pk).apply(clubs)) == [self.cuiyuan]
        assert list(FigureScope.club(self.dongli.pk).apply(clubs)) == [self.dongli]

    def test_the_center_may_ask_for_any_part_of_the_network(self):
        for scope in [
            FigureScope.center(),
            FigureScope.department(self.second.pk),
            FigureScope.club(self.cuiyuan.pk),
        ]:
            assert scope.narrowed_to(self.carol) == scope

    def test_a_department_user_may_ask_for_their_department_and_its_clubs(self):
        assert FigureScope.department(self.first.pk).narrowed_to(self.dave)
        assert FigureScope.club(self.dongli.pk).narrowed_to(self.dave)

    @pytest.mark.parametrize("asked", ["center", "other_department", "other_club"])
    def test_a_department_user_cannot_ask_for_more_than_their_department(self, asked: str):
        scope = {
            "center": FigureScope.center(),
            "other_department": FigureScope.department(self.second.pk),
            "other_club": FigureScope.club(self.cuiyuan.pk),
        }[asked]

        with pytest.raises(PermissionDenied, match="您只能查看本服务部及其服务社的统计数据"):
            scope.narrowed_to(self.dave)

    def test_a_club_user_may_ask_only_for_their_own_club(self):
        assert FigureScope.club(self.dongli.pk).narrowed_to(self.bob)
        for wider in [
            FigureScope.center(),
            FigureScope.department(self.first.pk),
            FigureScope.club(self.cuiyuan.pk),
        ]:
            with pytest.raises(PermissionDenied, match="您只能查看本服务社的统计数据"):
                wider.narrowed_to(self.bob)

    def test_a_scope_is_checked_against_a_scope_as_well_as_a_user(self):
        department = Scope("department", department_id=self.first.pk)

        assert FigureScope.club(self.dongli.pk).within(department)
        with pytest.raises(PermissionDenied):
            FigureScope.club(self.cuiyuan.pk).within(department)

    def test_a_row_keeps_the_records_behind_its_number(self):
        clubs = FigureScope.department(self.first.pk).apply(Club.objects.all())
        row = FigureRow(
            key=self.first.pk, label="第一老年服务部", value=clubs.count(), queryset=clubs
        )

        assert row.value == 1
        assert list(row.queryset) == [self.dongli]
        assert "queryset" not in repr(row)
