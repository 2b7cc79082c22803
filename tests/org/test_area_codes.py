"""The area codes the center keeps (org.AreaCode): its admin, and how a club finds its code."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwushe.org.models import AreaCode, Club
from fuwushe.org.selectors import area_codes, city_key, club_area_code
from tests.scoping.world import World, signed_in

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/org/areacode/"
ADD = "/admin/org/areacode/add/"


def test_the_cities_of_shandong_come_with_the_system():
    codes = area_codes()

    assert codes["东营"] == "0546"
    assert codes["滨州"] == "0543"
    assert codes["济南"] == "0531"
    assert len(codes) >= 16


@pytest.mark.parametrize("written", ["东营市", "东营", " 东营 市 "])
def test_a_club_finds_its_code_with_or_without_shi(world: World, written: str):
    club = world.club_a
    club.city = written

    assert city_key(written) == "东营"
    assert club_area_code(club) == "0546"
    assert club_area_code(club, area_codes()) == "0546"


def test_a_club_without_a_city_or_with_an_unknown_one_has_no_code(world: World):
    club = world.club_a
    assert club_area_code(None) == ""
    club.city = ""
    assert club_area_code(club) == ""
    club.city = "乌鲁木齐市"
    assert club_area_code(club) == ""
    assert club_area_code(club, area_codes()) == ""


def test_the_center_adds_a_city_and_it_is_audited(world: World):
    client = signed_in(world, "carol")

    response = client.post(ADD, {"city": "乌鲁木齐市", "code": "0991"})

    assert response.status_code == 302, response.content.decode()
    added = AreaCode.objects.get(city="乌鲁木齐市")
    assert added.code == "0991"
    event = AreaCode.pgh_event_model.objects.filter(pgh_obj=added).last()  # type: ignore[attr-defined]
    assert event is not None and event.pgh_context.metadata["user"] == world.people["carol"].pk
    club = world.club_a
    club.city = "乌鲁木齐"
    assert club_area_code(club) == "0991"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("546", "区号应为 0 开头的 3 或 4 位数字，如 0546。"),
        ("05466", "确保该变量包含不超过 4 字符 (目前字符数 5)。"),
        ("", "该字段是必填项。"),
    ],
)
def test_a_bad_code_is_refused_in_chinese(world: World, code: str, message: str):
    client = signed_in(world, "carol")

    response = client.post(ADD, {"city": "乌鲁木齐市", "code": code})

    assert response.status_code == 200
    assert not AreaCode.objects.filter(city="乌鲁木齐市").exists()
    errors = response.context["adminform"].form.errors
    assert message in errors["code"]


def test_a_city_is_kept_once(world: World):
    client = signed_in(world, "carol")

    response = client.post(ADD, {"city": "东营市", "code": "0547"})

    assert response.status_code == 200
    assert "具有 市 的 电话区号 已存在" in response.content.decode()
    assert AreaCode.objects.get(city="东营市").code == "0546"


def test_the_list_counts_each_citys_active_clubs_in_one_query(world: World):
    Club.objects.filter(pk=world.club_a.pk).update(city="东营市")
    Club.objects.filter(pk=world.club_b.pk).update(city="东营")
    client = signed_in(world, "carol")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    counts = {row.city: row.club_count for row in rows}
    assert counts["东营市"] == 2
    assert counts["滨州市"] == 0
    selects = [q["sql"] for q in queries.captured_queries if "org_areacode" in q["sql"]]
    assert len(selects) <= 3  # the page and its two counts, not one per row


@pytest.mark.parametrize("name", ["alice", "bob", "charlie", "dora"])
def test_club_and_department_staff_are_refused(world: World, name: str):
    client = signed_in(world, name)
    area = AreaCode.objects.get(city="东营市")

    assert client.get(CHANGELIST).status_code == 403
    assert client.post(ADD, {"city": "乌鲁木齐市", "code": "0991"}).status_code == 403
    change = f"/admin/org/areacode/{area.pk}/change/"
    assert client.post(change, {"city": "东营市", "code": "0999"}).status_code == 403
    assert AreaCode.objects.get(pk=area.pk).code == "0546"
    assert not AreaCode.objects.filter(city="乌鲁木齐市").exists()
