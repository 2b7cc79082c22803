"""Set-based writes (fuwushe/bulk.py): what goes in comes back exactly, whatever it holds."""

from datetime import date

import pytest

from fuwushe.bulk import array_literal, insert_rows, select_by_keys
from fuwushe.org.models import Community
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

AWKWARD = ['引号"内', "反斜杠\\末尾\\", "{花括号}", "逗号,分隔", "NULL", "", " 前后空格 ", "换行\n"]


@pytest.mark.parametrize(
    ("values", "literal"),
    [
        ([], "{}"),
        (["a", 'b"c', "d\\e"], '{"a","b\\"c","d\\\\e"}'),
        ([1, 22], "{1,22}"),
        ([date(1950, 3, 1)], "{1950-03-01}"),
        ([None, "x", True, False, 3], '{NULL,"x",t,f,"3"}'),
    ],
)
def test_an_array_literal_quotes_every_element_and_writes_none_as_null(values, literal):
    assert array_literal(values) == literal


def test_awkward_text_round_trips_through_insert_and_select(world: World):
    rows = [(f"批量{index}", world.club_a.pk, text) for index, text in enumerate(AWKWARD)]

    written = dict(insert_rows(Community, ("name", "club_id", "county"), rows))

    assert set(written) == {name for name, _club, _county in rows}
    stored = dict(Community.objects.filter(name__startswith="批量").values_list("name", "county"))
    assert stored == {name: county for name, _club, county in rows}
    found = select_by_keys(Community, "name", ("county",), [*written, "没有这个"])
    assert sorted(row[2] for row in found) == sorted(AWKWARD)


def test_analyze_refreshes_the_row_count_with_the_columns_named(world: World):
    from django.db import connection

    from fuwushe.bulk import analyze
    from members.models import Member, Person

    rows = [(f"统计{index}", world.club_a.pk, "") for index in range(50)]
    insert_rows(Community, ("name", "club_id", "county"), rows)

    analyze(Community, Person, columns={Community: ("id", "club"), Member: ("club",)})

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'org_community'")
        (counted,) = cursor.fetchone()
    assert counted >= 50
