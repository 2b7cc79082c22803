"""Real ledgers: community names as clubs write them, matched, mapped or left empty (warned)."""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fuwushe.imports.models import ImportRun
from fuwushe.org.models import Community
from members.models import Person
from tests.imports import files
from tests.imports.test_import_command import command
from tests.members.ids import id_number
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db

HEADER = ["序号", "姓名", "身份证号", "所在小区"]
IDS = [id_number(seq=300 + 2 * i) for i in range(8)]
UPLOAD = "/admin/members/member/import/"
CONFIRM = "/admin/members/member/process_import/"


def unknown(name: str) -> str:
    return (
        f"小区“{name}”不在“甲小区党员服务社”的小区名单中，已按未填写处理；"
        "可在导入预览中指定它是哪个小区，或在小区资料里添加这个写法。"
    )


@pytest.fixture
def register(world: World) -> dict[str, Community]:
    club = world.club_a
    return {
        "东利": Community.objects.create(name="东利", club=club),
        "西城": Community.objects.create(name="西城小区", club=club),
        "胜利": Community.objects.create(name="胜利", club=club, aliases=["老胜利街"]),
    }


def rows(*communities: str | None) -> list[list[Any]]:
    return [HEADER] + [
        [i + 1, f"王{'一二三四五六七八'[i]}", IDS[i], written]
        for i, written in enumerate(communities)
    ]


def write(tmp_path: Path, data: bytes, name: str = "花名册.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def community_of(number: str) -> str | None:
    community = Person.objects.select_related("community").get(id_number=number).community
    return community.name if community else None


WRITTEN = (
    "东利小区",
    "东利社区",
    "西城居委会",
    "东利片区",
    "东利小区3号楼",
    "老胜利街",
    "南山小区",
)


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_each_wording_is_accepted_and_an_unknown_one_is_left_empty_with_a_warning(
    world: World, register: dict[str, Community], tmp_path: Path, file_name: str
):
    path = write(tmp_path, files.ledger(rows(*WRITTEN), file_name), file_name)

    status, result = command("members", path, "--club", "T001")

    assert status == 0
    assert (result["created"], result["errors"], result["applied"]) == (7, [], True)
    assert [community_of(n) for n in IDS[:7]] == [
        "东利", "东利", "西城小区", "东利", "东利", "胜利", None
    ]  # fmt: skip
    assert result["warnings"] == [
        {
            "row": 8,
            "column": "所在小区",
            "value": "南山小区",
            "code": "community_unknown",
            "message": unknown("南山小区"),
        }
    ]
    run = ImportRun.objects.get(pk=result["import_id"])
    assert (run.warning_count, run.warnings[0]["code"], run.error_rows) == (
        1,
        "community_unknown",
        0,
    )


def test_a_community_on_record_is_kept_when_the_row_says_an_unknown_one_or_none(
    world: World, register: dict[str, Community], tmp_path: Path
):
    first = write(tmp_path, files.xlsx(rows("东利", "西城", "胜利")), "一.xlsx")
    command("members", first, "--club", "T001")
    again = write(tmp_path, files.xlsx(rows("南山小区", None, "东利")), "二.xlsx")

    status, result = command("members", again, "--club", "T001")

    assert status == 0
    assert (result["unchanged"], result["updated"]) == (2, 1)
    assert [community_of(n) for n in IDS[:3]] == ["东利", "西城小区", "东利"]
    assert [w["code"] for w in result["warnings"]] == ["community_unknown"]


def test_map_community_reads_a_wording_as_a_community_for_this_run_only(
    world: World, register: dict[str, Community], tmp_path: Path
):
    path = write(tmp_path, files.xlsx(rows("南山小区", "南山", "东利")))

    status, result = command("members", path, "--club", "T001", "--map-community", "南山=西城")

    assert (status, result["warnings"], result["created"]) == (0, [], 3)
    assert [community_of(n) for n in IDS[:3]] == ["西城小区", "西城小区", "东利"]
    assert Community.objects.get(pk=register["西城"].pk).aliases == []


def test_map_community_to_a_community_the_club_lacks_is_refused(
    world: World, register: dict[str, Community], tmp_path: Path
):
    path = write(tmp_path, files.xlsx(rows("南山小区")))

    status, result = command("members", path, "--club", "T001", "--map-community", "南山=北海")

    assert status == 2
    assert result["rejected"] == {
        "code": "unknown_community",
        "message": "--map-community：“甲小区党员服务社”没有名为“北海”的小区（或有不止一个），"
        "请核对小区名称。",
    }
    assert not Person.objects.filter(id_number=IDS[0]).exists()


def test_the_preview_groups_unknown_names_and_a_chosen_mapping_is_remembered_as_an_alias(
    world: World, register: dict[str, Community]
):
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    data = files.xlsx(rows("南山小区", "东利", "南山小区", "北海"))

    page = client.post(
        UPLOAD,
        {"file": SimpleUploadedFile("花名册.xlsx", data), "club": world.club_a.pk},
    )

    body = page.content.decode()
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    assert run.warning_count == 3
    assert '<td id="import-warning-count">3</td>' in body
    assert '<td class="p-2">南山小区</td><td class="p-2">2 行</td>' in body
    assert '<td class="p-2">北海</td><td class="p-2">1 行</td>' in body
    assert 'name="community_0"' in body and 'name="community_1"' in body
    assert "乙小苑" not in body  # another club's community is never offered

    done = client.post(CONFIRM, {"run": run.pk, "community_0": register["西城"].pk})

    assert done.status_code == 302
    run.refresh_from_db()
    again = ImportRun.objects.exclude(pk=run.pk).get(file_name="花名册.xlsx")
    assert (run.status, again.status, again.created, again.warning_count) == (
        "discarded",
        "applied",
        4,
        1,
    )
    assert Community.objects.get(pk=register["西城"].pk).aliases == ["南山小区"]
    assert [community_of(n) for n in IDS[:4]] == ["西城小区", "东利", "西城小区", None]


def test_the_preview_refuses_a_community_of_another_club(
    world: World, register: dict[str, Community]
):
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    data = files.xlsx(rows("南山小区"))
    client.post(UPLOAD, {"file": SimpleUploadedFile("花名册.xlsx", data), "club": world.club_a.pk})
    run = ImportRun.objects.get(file_name="花名册.xlsx")
    other = Community.objects.get(club=world.club_b)

    page = client.post(CONFIRM, {"run": run.pk, "community_0": other.pk})

    assert page.status_code == 200
    assert "选择一个有效的选项" in page.content.decode()
    run.refresh_from_db()
    assert run.status == "validated"
    assert Community.objects.get(pk=other.pk).aliases == []
