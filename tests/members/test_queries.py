"""Reads of the registry: ages, anniversaries, the center's age line and the search."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction

from fuwushe.config.services import config_set
from fuwushe.org.models import Community
from members import services
from members.identity import pinyin_columns
from members.models import Member, Person
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
WANG_ID = "37050219450301209X"


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    """Every test here, the world included, runs on 15 June 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def enrol(
    world: World,
    name: str,
    born: date,
    *,
    joined: date | None = None,
    male: bool = True,
    seq: int = 100,
    **person: Any,
) -> Member:
    """Put someone on club A's roster; `seq` tells apart people born the same day."""
    return services.member_create(
        actor=world.people["carol"],
        club=world.club_a,
        person={
            "name": name,
            "id_number": id_number(region="370102", born=born, seq=seq, male=male),
            **person,
        },
        joined_party_on=joined,
    )


def names(queryset: Any) -> list[str]:
    return sorted(queryset.values_list("person__name", flat=True))


def ours(queryset: Any, *members: Member) -> Any:
    return queryset.filter(pk__in=[m.pk for m in members])


# --- ages ------------------------------------------------------------------------------


def test_age_and_party_age_count_whole_years_on_the_day(world: World):
    today = enrol(world, "今天生日", date(1946, 6, 15), joined=date(1976, 6, 15))
    tomorrow = enrol(world, "明天生日", date(1946, 6, 16), joined=date(1976, 6, 16))
    yesterday = enrol(world, "昨天生日", date(1946, 6, 14), joined=date(1976, 6, 14))
    no_date = enrol(world, "入党日期不详", date(1950, 1, 1))

    rows = ours(Member.objects.with_ages(), today, tomorrow, yesterday, no_date)

    assert sorted(rows.values_list("person__name", "age", "party_age")) == sorted(
        [
            ("今天生日", 80, 50),
            ("明天生日", 79, 49),
            ("昨天生日", 80, 50),
            ("入党日期不详", 76, None),
        ]
    )


def test_ages_can_be_read_on_another_day(world: World):
    member = enrol(world, "王允功", date(1946, 6, 16), joined=date(1976, 6, 16))

    on_birthday: Any = Member.objects.with_ages(on=date(2026, 6, 16)).get(pk=member.pk)

    assert (on_birthday.age, on_birthday.party_age) == (80, 50)


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2026, 2, 27), 77),
        (date(2026, 2, 28), 77),
        (date(2026, 3, 1), 78),
        (date(2028, 2, 28), 79),
        (date(2028, 2, 29), 80),
    ],
)
def test_someone_born_on_29_february_ages_on_1_march_in_a_common_year(
    world: World, on: date, age: int
):
    member = enrol(world, "闰日生", date(1948, 2, 29), joined=date(1972, 2, 29))

    aged: Any = Member.objects.with_ages(on=on).get(pk=member.pk)

    assert aged.age == age
    assert Member.objects.aged_at_least(age, on=on).filter(pk=member.pk).exists()
    assert not Member.objects.aged_at_least(age + 1, on=on).filter(pk=member.pk).exists()
    assert Member.objects.aged_under(age + 1, on=on).filter(pk=member.pk).exists()


def test_advanced_age_starts_at_80_by_default(world: World):
    eighty = enrol(world, "今天八十", date(1946, 6, 15))
    almost = enrol(world, "明天八十", date(1946, 6, 16))
    ninety = enrol(world, "九十老人", date(1936, 1, 1))
    seventy_five = enrol(world, "七十五岁", date(1951, 6, 15))

    found = ours(Member.objects.advanced_age(), eighty, almost, ninety, seventy_five)

    assert names(found) == sorted(["今天八十", "九十老人"])


def test_advanced_age_follows_the_one_threshold_the_center_sets(
    world: World, django_capture_on_commit_callbacks: Any
):
    eighty = enrol(world, "今天八十", date(1946, 6, 15))
    seventy_five = enrol(world, "今天七十五", date(1951, 6, 15))
    almost = enrol(world, "明天七十五", date(1951, 6, 16))
    everyone = (eighty, seventy_five, almost)
    assert names(ours(Member.objects.advanced_age(), *everyone)) == ["今天八十"]  # cached

    with django_capture_on_commit_callbacks(execute=True):
        config_set(user=world.people["carol"], key="advanced_age_threshold", value=75)

    assert names(ours(Member.objects.advanced_age(), *everyone)) == sorted(
        ["今天八十", "今天七十五"]
    )
    assert names(ours(Member.objects.advanced_age(on=date(2026, 6, 16)), *everyone)) == sorted(
        ["今天八十", "今天七十五", "明天七十五"]
    )


# --- anniversaries ---------------------------------------------------------------------


def test_the_golden_anniversary_is_the_50th_year_since_joining(world: World):
    members = [
        enrol(world, "七月一日", date(1946, 1, 1), joined=date(1976, 7, 1)),
        enrol(world, "七月末", date(1946, 1, 2), joined=date(1976, 7, 31)),
        enrol(world, "六月末", date(1946, 1, 3), joined=date(1976, 6, 30)),
        enrol(world, "八月初", date(1946, 1, 4), joined=date(1976, 8, 1)),
        enrol(world, "晚一年", date(1946, 1, 5), joined=date(1977, 7, 1)),
        enrol(world, "早一年", date(1946, 1, 6), joined=date(1975, 7, 15)),
        enrol(world, "不详", date(1946, 1, 7)),
    ]

    found = ours(
        Member.objects.golden_anniversary_between(date(2026, 7, 1), date(2026, 7, 31)), *members
    )

    assert names(found) == sorted(["七月一日", "七月末"])


def test_the_golden_anniversary_can_span_the_new_year(world: World):
    members = [
        enrol(world, "年底", date(1946, 1, 1), joined=date(1976, 12, 31)),
        enrol(world, "年初", date(1946, 1, 2), joined=date(1977, 1, 1)),
        enrol(world, "圣诞前", date(1946, 1, 3), joined=date(1976, 12, 24)),
    ]

    found = Member.objects.golden_anniversary_between(date(2026, 12, 25), date(2027, 1, 5))

    assert names(ours(found, *members)) == sorted(["年底", "年初"])


def test_a_golden_anniversary_of_29_february_falls_on_28_february_in_a_common_year(world: World):
    member = enrol(world, "闰日入党", date(1946, 1, 1), joined=date(1976, 2, 29))

    february = Member.objects.golden_anniversary_between(date(2026, 2, 1), date(2026, 2, 28))
    march = Member.objects.golden_anniversary_between(date(2026, 3, 1), date(2026, 3, 31))

    assert (ours(february, member).count(), ours(march, member).count()) == (1, 0)


def test_a_golden_anniversary_of_29_february_is_found_in_a_range_across_it(world: World):
    member = enrol(world, "闰日入党", date(1946, 1, 1), joined=date(1976, 2, 29))

    found = Member.objects.golden_anniversary_between(date(2026, 2, 15), date(2026, 3, 15))

    assert names(ours(found, member)) == ["闰日入党"]


def test_political_birthdays_across_a_month_boundary(world: World):
    members = [
        enrol(world, "六月廿五", date(1946, 1, 1), joined=date(1980, 6, 25)),
        enrol(world, "六月卅日", date(1946, 1, 2), joined=date(2000, 6, 30)),
        enrol(world, "七月五日", date(1946, 1, 3), joined=date(1990, 7, 5)),
        enrol(world, "六月廿四", date(1946, 1, 4), joined=date(1985, 6, 24)),
        enrol(world, "七月六日", date(1946, 1, 5), joined=date(1985, 7, 6)),
        enrol(world, "不详", date(1946, 1, 6)),
    ]

    found = Member.objects.political_birthday_between(date(2026, 6, 25), date(2026, 7, 5))

    assert names(ours(found, *members)) == sorted(["六月廿五", "六月卅日", "七月五日"])


def test_political_birthdays_across_the_new_year(world: World):
    members = [
        enrol(world, "十二月廿五", date(1946, 1, 1), joined=date(1975, 12, 25)),
        enrol(world, "除夕前后", date(1946, 1, 2), joined=date(1999, 12, 31)),
        enrol(world, "元旦", date(1946, 1, 3), joined=date(1971, 1, 1)),
        enrol(world, "一月五日", date(1946, 1, 4), joined=date(1988, 1, 5)),
        enrol(world, "一月六日", date(1946, 1, 5), joined=date(1980, 1, 6)),
        enrol(world, "十二月廿四", date(1946, 1, 6), joined=date(1980, 12, 24)),
        enrol(world, "年中", date(1946, 1, 7), joined=date(1980, 6, 15)),
    ]

    found = Member.objects.political_birthday_between(date(2026, 12, 25), date(2027, 1, 5))

    assert names(ours(found, *members)) == sorted(["十二月廿五", "除夕前后", "元旦", "一月五日"])


def test_a_political_birthday_range_backwards_is_empty_and_a_year_long_one_holds_all(
    world: World,
):
    dated = enrol(world, "有日期", date(1946, 1, 1), joined=date(1980, 3, 3))
    undated = enrol(world, "不详", date(1946, 1, 2))

    backwards = Member.objects.political_birthday_between(date(2027, 1, 5), date(2026, 12, 25))
    year = Member.objects.political_birthday_between(date(2026, 1, 1), date(2026, 12, 31))
    longer = Member.objects.political_birthday_between(date(2026, 1, 1), date(2027, 3, 1))

    assert names(ours(backwards, dated, undated)) == []
    assert names(ours(year, dated, undated)) == ["有日期"]
    assert names(ours(longer, dated, undated)) == ["有日期"]


def test_a_political_birthday_of_29_february_falls_on_28_february_in_a_common_year(
    world: World,
):
    member = enrol(world, "闰日入党", date(1946, 1, 1), joined=date(1976, 2, 29))

    found = Member.objects.political_birthday_between(date(2026, 2, 1), date(2026, 2, 28))

    assert names(ours(found, member)) == ["闰日入党"]


# --- search ----------------------------------------------------------------------------


@pytest.fixture
def wang(world: World) -> Member:
    """王允功 of 甲小苑 (club A's community), building 东区12, known by phone and ID number."""
    community = Community.objects.get(club=world.club_a)
    return services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={
            "name": "王允功",
            "id_number": WANG_ID,
            "phone": "13854609876",
            "phone_alt": "0546-8337654",
            "community": community,
            "building": "东区12",
        },
    )


def found(term: str, *, full_numbers: bool = True) -> list[str]:
    people = Person.objects.search(term, full_numbers=full_numbers)
    return sorted(people.values_list("name", flat=True))


def test_without_full_numbers_an_id_ending_confirms_no_more_than_the_mask_shows(wang: Member):
    third = WANG_ID[-3]
    wrong_third = "0" if third != "0" else "1"

    # Otherwise longer and longer endings would spell out a masked number digit by digit
    # (the mask shows the last two characters, and the birth date is on the page).
    assert found(third + WANG_ID[-2:], full_numbers=False) == found(
        wrong_third + WANG_ID[-2:], full_numbers=False
    )
    assert "王允功" in found(wrong_third + WANG_ID[-2:], full_numbers=False)
    assert found(wrong_third + WANG_ID[-2:], full_numbers=True) == []


def test_the_search_fixture_holds_a_real_id_number_ending_in_x():
    assert id_number(region="370502", born=date(1945, 3, 1), seq=104) == WANG_ID


@pytest.mark.parametrize(
    "term",
    ["wyg", "WYG", "wy", "wangyun", "wangyungong", "Wang Yun", "王允功", "允功", " 王 允 "],
)
def test_he_is_found_by_name_or_by_pinyin(wang: Member, term: str):
    assert found(term) == ["王允功"]
    assert names(Member.objects.search(term)) == ["王允功"]


@pytest.mark.parametrize("term", ["208X", "209", "2090", "12345", "wyh", "yungong", "王允公"])
def test_he_is_not_found_by_what_he_does_not_start_or_end_with(wang: Member, term: str):
    assert "王允功" not in found(term)


@pytest.mark.parametrize("term", ["209X", "01209x", "9876", "09876", "7654", "337654", "8337654"])
def test_he_is_found_by_the_tail_of_his_id_number_or_phones(wang: Member, term: str):
    assert found(term) == ["王允功"]


def test_he_is_found_by_building_prefix_and_by_community_name(wang: Member):
    assert found("东区") == ["王允功"]
    assert found("东区12") == ["王允功"]
    assert found("甲小苑") == ["王允功"]
    assert found("甲小") == ["王允功"]
    assert found("乙小") == []


def test_he_is_found_by_a_building_number_of_digits(world: World):
    member = services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "王允功", "id_number": WANG_ID, "building": "12"},
    )

    assert Person.objects.search("12").filter(pk=member.person_id).exists()


def test_an_empty_search_finds_everyone_in_scope(wang: Member, world: World):
    everyone = Member.objects.for_user(world.people["alice"])

    assert Member.objects.search("  ").for_user(world.people["alice"]).count() == 3
    assert everyone.count() == 3


def test_the_search_stays_inside_the_users_scope(wang: Member, world: World):
    assert names(Member.objects.search("wyg").for_user(world.people["alice"])) == ["王允功"]
    assert names(Member.objects.search("wyg").for_user(world.people["charlie"])) == []
    assert names(Member.objects.search("9876").for_user(world.people["charlie"])) == []
    assert list(Person.objects.search("王允功").for_user(world.people["charlie"])) == []


# --- the search is served by indexes ---------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "淑珍", "玉兰", "德明", "文华", "海燕", "立新"]


def fill_roster(world: World, count: int = 2000) -> None:
    """Enough people, members and statistics for the planner to choose as it would live."""
    people = []
    for i in range(count):
        name = f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[i // len(SURNAMES) % len(GIVEN)]}"
        pinyin, initials = pinyin_columns(name)
        born = date(1930, 1, 1) + timedelta(days=i * 7)
        people.append(
            Person(
                name=name,
                name_pinyin=pinyin,
                name_initials=initials,
                gender="male",
                birth_date=born,
                id_number=id_number(region="370102", born=born, seq=i % 400),
                phone=f"139{i:08d}",
                building=str(i % 40 + 1),
            )
        )
    Person.objects.bulk_create(people)
    Member.objects.bulk_create(
        Member(person=person, club=world.club_a if i % 2 else world.club_b)
        for i, person in enumerate(people)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_person")
        cursor.execute("ANALYZE members_member")
        cursor.execute("ANALYZE org_community")


def plan(queryset: Any) -> str:
    """EXPLAIN with sequential scans priced out: what indexes can serve the query."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


@pytest.mark.parametrize(
    ("term", "indexes"),
    [
        ("wyg", ["person_initials_prefix", "person_pinyin_prefix"]),
        ("wangyun", ["person_initials_prefix", "person_pinyin_prefix"]),
        ("9876", ["person_id_number_tail", "person_phone_tail", "person_phone_alt_tail"]),
        ("1209X", ["person_id_number_tail", "person_phone_tail", "person_phone_alt_tail"]),
    ],
)
def test_the_pinyin_and_number_searches_are_served_by_indexes(
    wang: Member, world: World, term: str, indexes: list[str]
):
    fill_roster(world)

    explained = plan(Person.objects.search(term, full_numbers=True))

    assert [index for index in indexes if index not in explained] == []
    assert "Seq Scan" not in explained
    assert found(term) == ["王允功"]


@pytest.mark.parametrize(
    ("term", "indexes"),
    [
        ("wyg", ["person_initials_prefix", "person_pinyin_prefix"]),
        ("9876", ["person_id_number_tail", "person_phone_tail", "person_phone_alt_tail"]),
    ],
)
def test_the_member_search_is_served_by_the_same_indexes(
    wang: Member, world: World, term: str, indexes: list[str]
):
    fill_roster(world)

    explained = plan(Member.objects.search(term, full_numbers=True).for_user(world.people["alice"]))

    assert [index for index in indexes if index not in explained] == []
    found_by_alice = Member.objects.search(term, full_numbers=True).for_user(world.people["alice"])
    assert names(found_by_alice) == ["王允功"]


@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("王允", "person_name_prefix"),
        ("允功", "person_name_tail"),
        ("东区", "person_building_prefix"),
    ],
)
def test_the_name_and_building_searches_are_served_by_indexes(
    wang: Member, world: World, term: str, index: str
):
    fill_roster(world)

    explained = plan(Person.objects.search(term))

    assert index in explained
