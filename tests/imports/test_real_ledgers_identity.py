"""Real ledgers: genders and phones as clubs write them (issue 10).

Genders in every usual wording; a local landline taking the area code of the club's city;
two numbers in one cell shared out between 联系电话 and 备用电话; extensions kept. What
was read not exactly as written is warned of, never refused.
"""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fuwushe.imports.models import ImportRun
from fuwushe.org.models import AreaCode, Club
from members.models import Person
from tests.imports import files
from tests.imports.test_import_command import command
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "备用电话", "紧急联系人电话"]
MEN = [id_number(seq=400 + i) for i in range(20)]
WOMEN = [id_number(seq=400 + i, male=False) for i in range(20)]
NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
ASSUMED = "电话没有区号，已按服务社所在的东营市加上区号 0546。"
MOVED_TO_ALT = "这一格有两个电话号码，另一个已登记为“备用电话”。"
MOVED_TO_PHONE = "这一格有两个电话号码，另一个已登记为“联系电话”。"
UPLOAD = "/admin/members/member/import/"
PHONE_RULE = "电话“{}”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"


@pytest.fixture
def dongying(world: World) -> Club:
    """Club A (T001), in 东营市; club B keeps no city."""
    assert (world.club_a.city, world.club_b.city) == ("", "")  # the world sets none
    world.club_a.city = "东营市"
    world.club_a.save(update_fields=["city"])
    return world.club_a


def ledger_rows(*people: list[Any]) -> list[list[Any]]:
    """The header, then a row per person: [gender, id number, phone, alt, emergency]."""
    return [HEADER] + [
        [i + 1, f"{NAMES[i]}某", *person] for i, person in enumerate(people)
    ]  # fmt: skip


def write(tmp_path: Path, data: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(tmp_path: Path, rows: list[list[Any]], file_name: str, *args: str) -> tuple[int, Any]:
    path = write(tmp_path, files.ledger(rows, file_name), file_name)
    return command("members", path, "--club", "T001", *args)


def stored(number: str) -> tuple[str, str, str, str]:
    p = Person.objects.get(id_number=number)
    return (p.gender, p.phone, p.phone_alt, p.emergency_phone)


def warning(row: int, column: str, value: str, code: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "value": value, "code": code, "message": message}


# --- gender ----------------------------------------------------------------------------

# As written in the 性别 cell (numbers as number cells in a workbook, text in a CSV), the
# ID number and what is stored.
GENDERS: list[tuple[object, str, str]] = [
    ("男", MEN[0], "male"),
    ("女", WOMEN[1], "female"),
    ("男性", MEN[2], "male"),
    ("女性", WOMEN[3], "female"),
    ("M", MEN[4], "male"),
    ("f", WOMEN[5], "female"),
    ("Male", MEN[6], "male"),
    ("FEMALE", WOMEN[7], "female"),
    (1, MEN[8], "male"),
    (2, WOMEN[9], "female"),
    (1.0, MEN[10], "male"),
    (2.0, WOMEN[11], "female"),
    (" 女 ", WOMEN[12], "female"),
    (None, MEN[13], "male"),
    (None, WOMEN[14], "female"),
]


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_each_gender_wording_is_accepted_and_a_blank_one_is_taken_from_the_id_number(
    world: World, tmp_path: Path, file_name: str
):
    rows = ledger_rows(*([gender, number, None, None, None] for gender, number, _ in GENDERS))

    status, result = run(tmp_path, rows, file_name)

    assert status == 0, result
    assert (result["created"], result["errors"], result["warnings"]) == (len(GENDERS), [], [])
    assert [stored(number)[0] for _, number, _ in GENDERS] == [g for _, _, g in GENDERS]


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_an_unknown_gender_is_a_row_error_naming_the_gender_column(
    world: World, tmp_path: Path, file_name: str
):
    written = ["男女", "未知", "3", "x"]
    rows = ledger_rows(*([g, MEN[i], None, None, None] for i, g in enumerate(written)))

    status, result = run(tmp_path, rows, file_name)

    assert status == 1
    assert [(e["row"], e["column"], e["value"], e["code"]) for e in result["errors"]] == [
        (2, "性别", "男女", "bad_choice"),
        (3, "性别", "未知", "bad_choice"),
        (4, "性别", "3", "bad_choice"),
        (5, "性别", "x", "bad_choice"),
    ]
    assert "性别“未知”无法识别" in result["errors"][1]["message"]
    assert not Person.objects.filter(id_number__in=MEN[:4]).exists()


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_a_gender_wording_must_still_agree_with_the_id_number(
    world: World, tmp_path: Path, file_name: str
):
    rows = ledger_rows(
        ["女性", MEN[0], None, None, None],
        ["m", WOMEN[1], None, None, None],
        [2, MEN[2], None, None, None],
        ["男", MEN[3], None, None, None],
    )

    status, result = run(tmp_path, rows, file_name, "--valid-only")

    assert status == 1
    assert [(e["row"], e["column"], e["code"]) for e in result["errors"]] == [
        (2, "性别", "id_gender_mismatch"),
        (3, "性别", "id_gender_mismatch"),
        (4, "性别", "id_gender_mismatch"),
    ]
    assert Person.objects.get(id_number=MEN[3]).gender == "male"
    assert not Person.objects.filter(id_number__in=[MEN[0], WOMEN[1], MEN[2]]).exists()


# --- phones ----------------------------------------------------------------------------

# [phone, alt, emergency] as written, what is stored, and the warnings (column, code).
PHONES: list[tuple[list[Any], tuple[str, str, str], list[tuple[str, str, str]]]] = [
    (
        ["8123456", None, None],
        ("0546-8123456", "", ""),
        [("联系电话", "8123456", "area_code_assumed")],
    ),
    (
        ["13812345678/0546-8123456", None, None],
        ("13812345678", "0546-8123456", ""),
        [("联系电话", "13812345678/0546-8123456", "second_phone_moved")],
    ),
    (
        ["13812345678、13912345678", None, None],
        ("13812345678", "13912345678", ""),
        [("联系电话", "13812345678、13912345678", "second_phone_moved")],
    ),
    (
        ["13812345678，0546-8123456", None, None],
        ("13812345678", "0546-8123456", ""),
        [("联系电话", "13812345678，0546-8123456", "second_phone_moved")],
    ),
    (
        ["13812345678；0546-8123456", None, None],
        ("13812345678", "0546-8123456", ""),
        [("联系电话", "13812345678；0546-8123456", "second_phone_moved")],
    ),
    (
        ["13812345678或0546-8123456", None, None],
        ("13812345678", "0546-8123456", ""),
        [("联系电话", "13812345678或0546-8123456", "second_phone_moved")],
    ),
    (
        ["13812345678 0546-8123456", None, None],
        ("13812345678", "0546-8123456", ""),
        [("联系电话", "13812345678 0546-8123456", "second_phone_moved")],
    ),
    (["0546 8123456", None, None], ("0546-8123456", "", ""), []),
    (["138 1234 5678", None, None], ("13812345678", "", ""), []),
    (
        [None, "13812345678/0546-8123456", None],
        ("13812345678", "0546-8123456", ""),
        [("备用电话", "13812345678/0546-8123456", "second_phone_moved")],
    ),
    (["0546-8123456转123", None, None], ("0546-8123456转123", "", ""), []),
    (
        ["13812345678", "8123456", "81234567"],
        ("13812345678", "0546-8123456", "0546-81234567"),
        [
            ("备用电话", "8123456", "area_code_assumed"),
            ("紧急联系人电话", "81234567", "area_code_assumed"),
        ],
    ),
    (
        ["8123456/13812345678", None, None],
        ("0546-8123456", "13812345678", ""),
        [
            ("联系电话", "8123456/13812345678", "area_code_assumed"),
            ("联系电话", "8123456/13812345678", "second_phone_moved"),
        ],
    ),
    (
        ["13812345678/0546-8123456", "0546-8123456", None],
        ("13812345678", "0546-8123456", ""),
        [("联系电话", "13812345678/0546-8123456", "second_phone_moved")],
    ),
]
MESSAGES = {
    ("area_code_assumed", "联系电话"): ASSUMED,
    ("area_code_assumed", "备用电话"): ASSUMED,
    ("area_code_assumed", "紧急联系人电话"): ASSUMED,
    ("second_phone_moved", "联系电话"): MOVED_TO_ALT,
    ("second_phone_moved", "备用电话"): MOVED_TO_PHONE,
}


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_each_phone_wording_is_stored_and_warned_of_by_row_and_column(
    dongying: Club, tmp_path: Path, file_name: str
):
    rows = ledger_rows(*(["男", MEN[i], *cells] for i, (cells, _, _) in enumerate(PHONES)))

    status, result = run(tmp_path, rows, file_name)

    assert status == 0, result
    assert (result["created"], result["errors"], result["applied"]) == (len(PHONES), [], True)
    assert [stored(MEN[i])[1:] for i in range(len(PHONES))] == [want for _, want, _ in PHONES]
    expected = [
        warning(i + 2, column, value, code, MESSAGES[code, column])
        for i, (_, _, warned) in enumerate(PHONES)
        for column, value, code in warned
    ]
    assert result["warnings"] == expected
    run_record = ImportRun.objects.get(pk=result["import_id"])
    assert (run_record.warning_count, run_record.error_rows) == (len(expected), 0)
    assert [(w["row"], w["column"], w["code"]) for w in run_record.warnings] == [
        (w["row"], w["column"], w["code"]) for w in expected
    ]


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_local_numbers_as_number_cells_take_the_area_code(
    dongying: Club, tmp_path: Path, file_name: str
):
    rows = ledger_rows(["男", MEN[0], 8123456, 81234567, None])

    status, result = run(tmp_path, rows, file_name)

    assert (status, result["errors"]) == (0, [])
    assert stored(MEN[0])[1:] == ("0546-8123456", "0546-81234567", "")
    assert [(w["row"], w["column"], w["value"], w["code"]) for w in result["warnings"]] == [
        (2, "联系电话", "8123456", "area_code_assumed"),
        (2, "备用电话", "81234567", "area_code_assumed"),
    ]


@pytest.mark.parametrize("city", ["东营市", "东营", " 东营市 "])
def test_the_club_city_is_matched_with_or_without_shi(world: World, tmp_path: Path, city: str):
    Club.objects.filter(pk=world.club_a.pk).update(city=city)
    rows = ledger_rows(["男", MEN[0], "8123456", None, None])

    status, result = run(tmp_path, rows, "花名册.xlsx")

    assert (status, result["errors"]) == (0, [])
    assert stored(MEN[0])[1] == "0546-8123456"
    assert [w["code"] for w in result["warnings"]] == ["area_code_assumed"]


def test_the_area_code_is_that_of_the_clubs_own_city(world: World, tmp_path: Path):
    Club.objects.filter(pk=world.club_a.pk).update(city="青岛市")
    rows = ledger_rows(["男", MEN[0], "81234567", None, None])

    status, result = run(tmp_path, rows, "花名册.xlsx")

    assert status == 0
    assert stored(MEN[0])[1] == "0532-81234567"
    assert result["warnings"][0]["message"] == "电话没有区号，已按服务社所在的青岛市加上区号 0532。"


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
@pytest.mark.parametrize("city", ["", "三沙市"])
def test_without_a_city_or_its_area_code_a_local_number_is_refused(
    world: World, tmp_path: Path, file_name: str, city: str
):
    Club.objects.filter(pk=world.club_a.pk).update(city=city)
    assert not AreaCode.objects.filter(city__startswith="三沙").exists()
    rows = ledger_rows(["男", MEN[0], "8123456", None, None])

    status, result = run(tmp_path, rows, file_name)

    assert status == 1
    assert result["errors"] == [
        {
            "row": 2,
            "column": "联系电话",
            "value": "8123456",
            "code": "bad_phone",
            "message": PHONE_RULE.format("8123456"),
        }
    ]
    assert result["warnings"] == []
    assert not Person.objects.filter(id_number=MEN[0]).exists()


def test_each_club_of_a_ledger_gives_its_own_area_code(dongying: Club, tmp_path: Path):
    rows: list[list[Any]] = [
        ["序号", "姓名", "身份证号", "所属服务社", "联系电话"],
        [1, "王某", MEN[0], "甲小区党员服务社", "8123456"],
        [2, "李某", MEN[1], "乙小区党员服务社", "8123456"],
    ]
    path = write(tmp_path, files.xlsx(rows), "花名册.xlsx")

    status, result = command("members", path, "--valid-only")

    assert status == 1
    assert [(e["row"], e["code"]) for e in result["errors"]] == [(3, "bad_phone")]
    assert [(w["row"], w["code"]) for w in result["warnings"]] == [(2, "area_code_assumed")]
    assert stored(MEN[0])[1] == "0546-8123456"
    assert not Person.objects.filter(id_number=MEN[1]).exists()


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_more_than_two_numbers_and_two_emergency_numbers_are_row_errors(
    dongying: Club, tmp_path: Path, file_name: str
):
    rows = ledger_rows(
        ["男", MEN[0], "13812345678/13912345678", "0546-8123456", None],
        ["男", MEN[1], "13812345678", "13912345678、0546-8123456", None],
        ["男", MEN[2], "13812345678、13912345678、0546-8123456", None, None],
        ["男", MEN[3], "13812345678", None, "13912345678/0546-8123456"],
        ["男", MEN[4], "13812345678", None, "13912345678"],
    )

    status, result = run(tmp_path, rows, file_name, "--valid-only")

    assert status == 1
    assert [(e["row"], e["column"], e["code"]) for e in result["errors"]] == [
        (2, "联系电话", "bad_phone"),
        (3, "备用电话", "bad_phone"),
        (4, "联系电话", "bad_phone"),
        (5, "紧急联系人电话", "bad_phone"),
    ]
    assert result["errors"][0]["message"] == (
        "联系电话和备用电话共有 3 个号码，只能登记两个，请删去多余的。"
    )
    assert result["errors"][3]["message"] == (
        "这一格有多个电话号码，紧急联系人电话只能登记一个，请删去多余的。"
    )
    assert not Person.objects.filter(id_number__in=MEN[:4]).exists()
    assert stored(MEN[4])[1:] == ("13812345678", "", "13912345678")
    run_record = ImportRun.objects.get(pk=result["import_id"])
    assert run_record.error_rows == 4


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_an_extension_on_a_mobile_is_refused(dongying: Club, tmp_path: Path, file_name: str):
    rows = ledger_rows(["男", MEN[0], "13812345678转123", None, None])

    status, result = run(tmp_path, rows, file_name)

    assert status == 1
    assert [(e["column"], e["value"], e["code"]) for e in result["errors"]] == [
        ("联系电话", "13812345678转123", "bad_phone")
    ]


@pytest.mark.parametrize("file_name", files.LEDGER_FORMS)
def test_a_phone_on_record_is_kept_when_the_cell_is_blank(
    dongying: Club, tmp_path: Path, file_name: str
):
    first = ledger_rows(
        ["男", MEN[0], "13812345678", "0546-8123456", "13912345678"],
        ["男", MEN[1], "13812345678", "0546-8123456", None],
    )
    status, _ = run(tmp_path, first, "一" + file_name)
    assert status == 0
    again = ledger_rows(
        ["男", MEN[0], None, None, None],
        ["男", MEN[1], None, "8123457", None],
    )

    status, result = run(tmp_path, again, file_name)

    assert (status, result["errors"]) == (0, [])
    assert (result["unchanged"], result["updated"]) == (1, 1)
    assert stored(MEN[0])[1:] == ("13812345678", "0546-8123456", "13912345678")
    assert stored(MEN[1])[1:] == ("13812345678", "0546-8123457", "")
    assert [(w["row"], w["column"], w["code"]) for w in result["warnings"]] == [
        (3, "备用电话", "area_code_assumed")
    ]


def test_warnings_never_block_and_are_kept_on_the_applied_run(dongying: Club, tmp_path: Path):
    rows = ledger_rows(["男", MEN[0], "8123456/13812345678", None, None])

    status, result = run(tmp_path, rows, "花名册.xlsx")

    assert (status, result["applied"], result["errors"]) == (0, True, [])
    run_record = ImportRun.objects.get(pk=result["import_id"])
    assert run_record.status == "applied"
    assert run_record.warning_count == 2
    assert [w["code"] for w in run_record.warnings] == ["area_code_assumed", "second_phone_moved"]
    assert run_record.error_rows == 0


def test_the_same_number_twice_in_one_cell_is_one_number_and_nothing_is_said_moved(
    dongying: Club, tmp_path: Path
):
    rows = ledger_rows(["男", MEN[0], "13812345678/13812345678", None, None])

    status, result = run(tmp_path, rows, "花名册.xlsx")

    assert (status, result["errors"]) == (0, [])
    assert stored(MEN[0])[1:] == ("13812345678", "", "")
    # "另一个已登记为“备用电话”" would be untrue: 备用电话 stays empty.
    assert "second_phone_moved" not in [w["code"] for w in result["warnings"]]


def test_staff_who_may_not_see_phones_see_the_warned_numbers_masked(dongying: Club, world: World):
    """Bob may not see phones: the cells quoted by the warnings are masked like any phone,
    a local number without area code and each of two numbers in one cell too."""
    rows = ledger_rows(
        ["男", MEN[0], "7654321", None, None],
        ["男", MEN[1], "13955501234/0546-7654322", None, None],
        ["男", MEN[2], "13955501235 0546-7654323", None, None],
        ["男", MEN[3], "7654324 7654325", None, None],
    )
    bob = Client()
    bob.force_login(world.people["bob"])
    upload = SimpleUploadedFile("花名册.xlsx", files.xlsx(rows))

    preview = bob.post(UPLOAD, {"file": upload, "club": dongying.pk})

    assert preview.status_code == 200
    run_record = ImportRun.objects.get(file_name="花名册.xlsx")
    assert [(w["row"], w["code"]) for w in run_record.warnings] == [
        (2, "area_code_assumed"),
        (3, "second_phone_moved"),
        (4, "second_phone_moved"),
        (5, "area_code_assumed"),
        (5, "area_code_assumed"),
        (5, "second_phone_moved"),
    ]
    record = bob.get(f"/admin/imports/importrun/{run_record.pk}/change/")
    for shown in (preview.content.decode(), record.content.decode()):
        assert "7654321" not in shown
        assert "7654322" not in shown
        assert "13955501234" not in shown
        assert "139555" not in shown  # more than a masked mobile shows (139****1234)
        for number in ("13955501235", "7654323", "7654324", "7654325"):
            assert number not in shown
        assert "139****1234" in shown and "139****1235" in shown
