"""A name's pinyin search keys read its surname as a surname: 单秀梅 is found by sxm."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client

from members import services
from members.identity import pinyin_columns
from members.models import Member, Person
from tests.members.ids import id_number
from tests.scoping.world import World

CHANGELIST = "/admin/members/member/"
recompute = importlib.import_module("members.migrations.0003_surname_pinyin").recompute_pinyin


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("单秀梅", ("shanxiumei", "sxm")),
        ("解放", ("xiefang", "xf")),
        ("曾国藩", ("zengguofan", "zgf")),
        ("仇英", ("qiuying", "qy")),
        ("区伟", ("ouwei", "ow")),
        ("朴正", ("piaozheng", "pz")),
        ("单", ("shan", "s")),
    ],
)
def test_a_single_surname_is_read_as_a_surname(name: str, keys: tuple[str, str]):
    assert pinyin_columns(name) == keys


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("尉迟恭", ("yuchigong", "ycg")),
        ("万俟卨", ("moqixie", "mqx")),
        ("欧阳修", ("ouyangxiu", "oyx")),
    ],
)
def test_a_compound_surname_is_matched_before_a_single_one(name: str, keys: tuple[str, str]):
    assert pinyin_columns(name) == keys


def test_the_given_name_keeps_its_common_reading():
    # 乐 is yue as a surname, le in a given name; 单 dan in a given name.
    assert pinyin_columns("乐乐") == ("yuele", "yl")
    assert pinyin_columns("王单") == ("wangdan", "wd")
    assert pinyin_columns("王允功") == ("wangyungong", "wyg")


def enrol_shan(world: World) -> Member:
    return services.member_create(
        actor=world.people["carol"],
        club=world.club_a,
        person={
            "name": "单秀梅",
            "id_number": id_number(region="370102", born=date(1950, 5, 1), seq=7, male=False),
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["sxm", "shanxiumei", "shanxiu"])
def test_the_search_finds_her_by_the_surname_reading(world: World, term: str):
    shan = enrol_shan(world)

    assert list(Member.objects.search(term).for_user(world.people["alice"])) == [shan]
    client = Client()
    client.force_login(world.people["bob"])
    response = client.get(f"{CHANGELIST}?q={term}")
    assert response.status_code == 200
    assert f'href="{CHANGELIST}{shan.pk}/change/' in response.content.decode()


@pytest.mark.django_db
def test_the_search_no_longer_finds_her_by_the_common_reading(world: World):
    enrol_shan(world)

    assert list(Member.objects.search("dxm")) == []


@pytest.mark.django_db
def test_the_migration_recomputes_the_keys_stored_before(world: World):
    shan = enrol_shan(world)
    wang = Person.objects.exclude(pk=shan.person_id).first()
    # As the keys were stored before surnames were read as surnames.
    Person.objects.filter(pk=shan.person_id).update(name_pinyin="danxiumei", name_initials="dxm")

    with connection.schema_editor() as editor:
        recompute(django_apps, editor)

    shan.person.refresh_from_db()
    assert (shan.person.name_pinyin, shan.person.name_initials) == ("shanxiumei", "sxm")
    assert list(Member.objects.search("sxm")) == [shan]
    if wang is not None:
        wang_before = (wang.name_pinyin, wang.name_initials)
        wang.refresh_from_db()
        assert (wang.name_pinyin, wang.name_initials) == wang_before
