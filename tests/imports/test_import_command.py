"""`manage.py import_data`: the import pipeline from the command line, its output and exit code."""

import getpass
import io
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from fuwushe.imports.models import ImportRun
from members.models import Member, Person
from tests.imports import files
from tests.imports.test_members_import import (
    HEADER,
    LI,
    NOT_A_SPREADSHEET,
    ROSTER,
    ROSTER_IDS,
    SHEET_ROWS,
    SUN,
    WANG,
    ZHAO,
    member_b,
    members,
    roster_xlsx,
)
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

PersonEvent = Person.pgh_event_model  # type: ignore[attr-defined]
MB = 1024 * 1024
BAD_PHONE = "电话“12345”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"


@pytest.fixture
def ledger(tmp_path: Path) -> Callable[..., Path]:
    """Write a file into the test's folder and give its path."""

    def write(data: bytes, name: str = "花名册.xlsx") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def command(*args: str) -> tuple[int, dict[str, Any]]:
    """Run import_data with --json: its exit status and the one JSON line it printed."""
    out = io.StringIO()
    status = run_command(*args, "--json", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, out.getvalue()
    return status, json.loads(lines[0])


def run_command(*args: str, **streams: io.StringIO) -> int:
    try:
        call_command("import_data", *args, **streams)
    except SystemExit as exited:
        assert isinstance(exited.code, int)
        return exited.code
    return 0


def last_run() -> ImportRun:
    return ImportRun.objects.order_by("pk").last()


def with_bad_phone() -> bytes:
    """The roster with a fourth person whose phone is one digit short."""
    return files.xlsx(
        [HEADER, *SHEET_ROWS, [4, "孙一", "男", SUN, None, "12345", None, None, None]]
    )


# --- Applied -----------------------------------------------------------------------------


def test_it_imports_a_roster_into_the_club_given_by_code_and_prints_one_json_line(
    world: World, ledger: Callable[..., Path]
):
    path = ledger(roster_xlsx())

    status, result = command("members", str(path), "--club", "T001")

    assert status == 0
    run = last_run()
    assert result == {
        "file": str(path),
        "kind": "members",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "warnings": [],
        "rejected": None,
        "applied": True,
        "import_id": run.pk,
    }
    assert members(*ROSTER_IDS) == ROSTER
    assert (run.status, run.club, run.plan) == ("applied", world.club_a, None)


@pytest.mark.parametrize("club", ["甲小区党员服务社", "甲小区", " T001 "])
def test_the_club_is_found_by_its_name_or_its_short_name(
    world: World, ledger: Callable[..., Path], club: str
):
    status, result = command("members", str(ledger(roster_xlsx())), "--club", club)

    assert (status, result["created"], result["applied"]) == (0, 3, True)
    assert last_run().club == world.club_a


def test_importing_the_same_file_again_reports_every_row_unchanged(
    world: World, ledger: Callable[..., Path]
):
    path = ledger(roster_xlsx())
    command("members", str(path), "--club", "T001")

    status, result = command("members", str(path), "--club", "T001")

    assert status == 0
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 3)


def test_without_a_user_it_acts_for_the_center_as_the_operating_system_user(
    world: World, ledger: Callable[..., Path]
):
    status, result = command("members", str(ledger(roster_xlsx())), "--club", "T001")

    run = ImportRun.objects.get(pk=result["import_id"])
    assert (status, run.user, run.operator) == (0, None, getpass.getuser())
    assert (run.file.uploaded_by, run.file.club) == (None, world.club_a)
    insert = PersonEvent.objects.get(id_number=WANG, pgh_label="insert")
    assert insert.pgh_context.metadata == {"user": None, "source": f"导入#{run.pk}"}


def test_a_club_column_spanning_clubs_needs_no_club_option_for_the_center(
    world: World, ledger: Callable[..., Path]
):
    data = files.csv_bytes(
        [["所属服务社", "姓名", "身份证号"], ["甲小区", "王允功", WANG], ["乙小区", "李秀英", LI]]
    )

    status, result = command("members", str(ledger(data, "花名册.csv")))

    assert (status, result["created"], result["errors"]) == (0, 2, [])
    assert [(m[1], m[5]) for m in members(WANG, LI)] == [(WANG, "T001"), (LI, "T002")]
    assert (last_run().club, last_run().department) == (None, None)


# --- Row errors -------------------------------------------------------------------------


def test_row_errors_exit_1_and_write_nothing(world: World, ledger: Callable[..., Path]):
    people = Person.objects.count()

    status, result = command("members", str(ledger(with_bad_phone())), "--club", "T001")

    assert status == 1
    assert result["errors"] == [
        {
            "row": 5,
            "column": "联系电话",
            "value": "12345",
            "code": "bad_phone",
            "message": BAD_PHONE,
        }
    ]
    assert (result["rows"], result["created"], result["applied"]) == (4, 3, False)
    assert result["rejected"] is None
    assert Person.objects.count() == people
    assert last_run().status == "failed"


def test_valid_only_writes_the_valid_rows_and_still_exits_1(
    world: World, ledger: Callable[..., Path]
):
    path = ledger(with_bad_phone())

    status, result = command("members", str(path), "--club", "T001", "--valid-only")

    assert (status, result["applied"], len(result["errors"])) == (1, True, 1)
    assert members(*ROSTER_IDS, SUN) == ROSTER
    assert (last_run().status, last_run().valid_only) == ("applied", True)


def test_dry_run_validates_and_writes_nothing(world: World, ledger: Callable[..., Path]):
    status, result = command("members", str(ledger(roster_xlsx())), "--club", "T001", "--dry-run")

    assert status == 0
    assert (result["created"], result["applied"], result["errors"]) == (3, False, [])
    assert members(*ROSTER_IDS) == []
    run = ImportRun.objects.get(pk=result["import_id"])
    assert (run.status, run.plan) == ("validated", None)


def test_without_json_it_prints_the_counts_and_each_error_in_chinese(
    world: World, ledger: Callable[..., Path]
):
    out = io.StringIO()

    status = run_command("members", str(ledger(with_bad_phone())), "--club", "T001", stdout=out)

    assert status == 1
    assert out.getvalue().splitlines() == [
        "共 4 行：新增 3，更新 0，无变化 0，有错误 1 行。",
        f"第 5 行“联系电话”列（12345）：{BAD_PHONE}",
        "有 1 行数据有错误，没有导入任何数据。请改正后重新导入。",
    ]


def test_without_json_an_import_says_what_it_wrote(world: World, ledger: Callable[..., Path]):
    out = io.StringIO()

    status = run_command("members", str(ledger(roster_xlsx())), "--club", "T001", stdout=out)

    assert status == 0
    assert out.getvalue().splitlines() == [
        "共 3 行：新增 3，更新 0，无变化 0，有错误 0 行。",
        "已导入。新增 3 条，更新 0 条，无变化 0 条。",
    ]


# --- Acting as a user -------------------------------------------------------------------


def test_a_user_is_held_to_her_club(world: World, ledger: Callable[..., Path]):
    held = member_b(world)
    data = files.xlsx(
        [
            ["所属服务社", "姓名", "身份证号", "联系电话"],
            ["甲小区", "王允功", WANG, None],
            ["甲小区", "改名", held.person.id_number, "13800000000"],
            ["乙小区", "赵建国", ZHAO, None],
        ]
    )

    status, result = command("members", str(ledger(data)), "--user", "alice", "--valid-only")

    assert status == 1
    assert [(e["row"], e["column"], e["code"]) for e in result["errors"]] == [
        (3, "身份证号", "registered_elsewhere"),
        (4, "所属服务社", "out_of_scope"),
    ]
    assert [(m[1], m[5]) for m in members(WANG, ZHAO, held.person.id_number)] == [
        (WANG, "T001"),
        (held.person.id_number, "T002"),
    ]
    held.person.refresh_from_db()
    assert (held.person.name, held.person.phone) == ("乙方秘密党员", "13900112888")
    run = last_run()
    assert (run.user, run.operator, run.club) == (world.people["alice"], "", world.club_a)
    insert = PersonEvent.objects.get(id_number=WANG, pgh_label="insert")
    assert insert.pgh_context.metadata["user"] == world.people["alice"].pk


def test_a_user_cannot_import_into_another_club(world: World, ledger: Callable[..., Path]):
    runs = ImportRun.objects.count()

    status, result = command(
        "members", str(ledger(roster_xlsx())), "--user", "alice", "--club", "T002"
    )

    assert status == 2
    assert result["rejected"] == {
        "code": "refused",
        "message": "您无权向“乙小区党员服务社”导入数据。",
    }
    assert (result["rows"], result["created"], result["errors"]) == (0, 0, [])
    assert ImportRun.objects.count() == runs
    assert members(*ROSTER_IDS) == []


def test_a_users_file_whose_every_row_is_refused_exits_1_with_the_errors(
    world: World, ledger: Callable[..., Path]
):
    data = files.xlsx([["姓名", "身份证号"], ["某某", member_b(world).person.id_number]])

    status, result = command("members", str(ledger(data)), "--user", "alice", "--club", "T001")

    assert (status, result["rejected"]) == (1, None)
    assert [e["code"] for e in result["errors"]] == ["registered_elsewhere"]


def test_an_unknown_user_or_club_is_a_command_error(world: World, ledger: Callable[..., Path]):
    path = str(ledger(roster_xlsx()))

    with pytest.raises(CommandError) as no_user:
        call_command("import_data", "members", path, "--user", "nobody")
    with pytest.raises(CommandError) as no_club:
        call_command("import_data", "members", path, "--club", "T999")

    assert str(no_user.value) == "没有名为“nobody”的在用账号。"
    assert str(no_club.value) == "没有名称或编号为“T999”的党员服务社。"
    assert members(*ROSTER_IDS) == []


# --- Refused whole ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "code", "message"),
    [
        pytest.param(files.pdf_bytes, "not_a_spreadsheet", None, id="pdf"),
        pytest.param(files.png_bytes, "not_a_spreadsheet", None, id="png"),
        pytest.param(files.random_bytes, "not_a_spreadsheet", None, id="random bytes"),
        pytest.param(lambda: b"", "empty", "文件里没有任何内容。", id="empty"),
        pytest.param(
            lambda: files.xlsx([HEADER], title="党员花名册"),
            "empty",
            "表格只有表头，没有数据。",
            id="header only",
        ),
        pytest.param(
            lambda: files.csv_bytes([["日期", "活动"], ["2024-10-11", "重阳节慰问"]]),
            "no_header",
            "没有找到表头：请确认表格前 30 行中有一行列名，并且包含“姓名”“身份证号”这几列。",
            id="no header",
        ),
        pytest.param(
            lambda: files.zeros_bomb(8 * MB),
            "too_large",
            "文件解压后过大，疑似恶意构造的压缩文件，已拒绝。",
            id="zip bomb",
        ),
    ],
)
def test_a_file_refused_whole_exits_2_and_writes_nothing(
    world: World,
    ledger: Callable[..., Path],
    build: Callable[[], bytes],
    code: str,
    message: str | None,
):
    people, memberships = Person.objects.count(), Member.objects.count()

    status, result = command("members", str(ledger(build())), "--club", "T001")

    assert status == 2
    assert result["rejected"] == {"code": code, "message": message or NOT_A_SPREADSHEET}
    assert (result["rows"], result["created"], result["errors"], result["applied"]) == (
        0,
        0,
        [],
        False,
    )
    run = ImportRun.objects.get(pk=result["import_id"])
    assert (run.status, run.rejected_code, run.club) == ("rejected", code, world.club_a)
    assert (Person.objects.count(), Member.objects.count()) == (people, memberships)


def test_a_file_over_the_size_limit_exits_2(
    world: World, ledger: Callable[..., Path], settings: Any
):
    settings.FUWUSHE_IMPORT_MAX_BYTES = 2 * 1024
    data = files.xlsx([HEADER, *SHEET_ROWS])
    assert len(data) > 2 * 1024

    status, result = command("members", str(ledger(data)), "--club", "T001")

    assert status == 2
    assert result["rejected"] == {
        "code": "too_large",
        "message": "文件超过 2 KB 的上限，请分成几个文件导入。",
    }
    assert members(*ROSTER_IDS) == []


def test_a_file_far_over_the_size_limit_is_refused_without_reading_it_into_memory(
    world: World, tmp_path: Path, settings: Any
):
    settings.FUWUSHE_IMPORT_MAX_BYTES = 1024
    path = tmp_path / "花名册.csv"
    with path.open("wb") as sparse:
        sparse.write("姓名,身份证号\n".encode())
        sparse.truncate(64 * MB)  # a hole on disk, 64 MB once read

    tracemalloc.start()
    try:
        status, result = command("members", str(path), "--club", "T001")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (status, result["rejected"]["code"]) == (2, "too_large")
    assert peak < 16 * MB


def test_without_json_a_refused_file_is_explained_on_stderr(
    world: World, ledger: Callable[..., Path]
):
    out, err = io.StringIO(), io.StringIO()

    status = run_command(
        "members", str(ledger(files.pdf_bytes())), "--club", "T001", stdout=out, stderr=err
    )

    assert (status, out.getvalue()) == (2, "")
    assert err.getvalue() == f"文件被拒绝：{NOT_A_SPREADSHEET}\n"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("volunteers", "“志愿者名册”（volunteers）的导入功能尚未上线。"),
        ("cars", "没有“cars”这种导入类型，可选：members、volunteers、hours、visits、meetings。"),
    ],
)
def test_a_kind_without_an_importer_exits_2_with_a_chinese_message(
    world: World, ledger: Callable[..., Path], kind: str, message: str
):
    path = ledger(roster_xlsx())
    runs = ImportRun.objects.count()

    status, result = command(kind, str(path), "--club", "T001")

    assert status == 2
    assert result == {
        "file": str(path),
        "kind": kind,
        "rows": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "warnings": [],
        "rejected": {"code": "unavailable", "message": message},
    }
    assert ImportRun.objects.count() == runs


def test_a_file_without_a_club_column_needs_the_club_option(
    world: World, ledger: Callable[..., Path]
):
    status, result = command("members", str(ledger(roster_xlsx())))

    assert status == 2
    assert result["rejected"] == {
        "code": "no_club",
        "message": "文件没有“所属服务社”列，请指定要导入到哪个服务社"
        "（命令行用 --club，网页导入时选择服务社）。",
    }
    assert last_run().rejected_code == "no_club"
    assert members(*ROSTER_IDS) == []
