"""The members roster import end to end: ledgers as clubs keep them, validated, then applied.

Reading and cell parsing have their own tests (test_reading.py, test_cells.py); these go
through `import_validate` and `import_apply` into the database and the audit history.
"""

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from stdnum.cn import ric

from fuwushe.config.selectors import config_get
from fuwushe.config.services import config_set
from fuwushe.imports.models import ImportRun
from fuwushe.imports.pipeline import import_apply, import_validate
from fuwushe.imports.registry import Plan
from fuwushe.org.models import Club
from members.models import Member, Person
from members.services import member_create
from tests.imports import files
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

PersonEvent = Person.pgh_event_model  # type: ignore[attr-defined]
MemberEvent = Member.pgh_event_model  # type: ignore[attr-defined]

MB = 1024 * 1024
Date = datetime.date

WANG_BORN, LI_BORN, ZHAO_BORN = Date(1950, 3, 1), Date(1952, 7, 15), Date(1948, 11, 30)
WANG = id_number(born=WANG_BORN, seq=1)  # 370502195003010033
LI = id_number(born=LI_BORN, seq=1, male=False)  # 37050219520715002X
ZHAO = id_number(born=ZHAO_BORN, seq=9)  # 37050219481130019X: ends in X
SUN = id_number(born=WANG_BORN, seq=4)
ZHOU = id_number(born=WANG_BORN, seq=5)
WU = id_number(born=WANG_BORN, seq=6)
ZHENG = id_number(born=WANG_BORN, seq=7)

HEADER = ["序号", "姓名", "性别", "身份证号", "出生日期", "联系电话", "入党时间", "类别", "独居"]
# The same three people as a spreadsheet holds them (date cells, phones stored as numbers)
# and as text (CSV).
SHEET_ROWS: list[list[object]] = [
    [1, "王允功", "男", WANG, WANG_BORN, 13854601234, Date(1972, 7, 1), "离退休党员", "是"],
    [2, "李秀英", "女", LI, LI_BORN, "0546-8123456", Date(1975, 10, 1), "家属党员", None],
    [3, "赵建国", "男", ZHAO, ZHAO_BORN, 13905461111, None, None, None],
]
TEXT_ROWS: list[list[object]] = [
    ["1", "王允功", "男", WANG, "1950-03-01", "13854601234", "1972-07-01", "离退休党员", "是"],
    ["2", "李秀英", "女", LI, "1952-07-15", "0546-8123456", "1975-10-01", "家属党员", ""],
    ["3", "赵建国", "男", ZHAO, "1948-11-30", "13905461111", "", "", ""],
]
# (name, ID number, gender, birth date, phone, club code, joined the party, category, 独居)
ROSTER = [
    ("王允功", WANG, "male", WANG_BORN, "13854601234", "T001", Date(1972, 7, 1), "retired", True),
    ("李秀英", LI, "female", LI_BORN, "0546-8123456", "T001", Date(1975, 10, 1), "family", False),
    ("赵建国", ZHAO, "male", ZHAO_BORN, "13905461111", "T001", None, "retired", False),
]
ROSTER_IDS = [WANG, LI, ZHAO]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_A_SPREADSHEET = (
    "无法读取这个文件：它不是 Excel 表格（XLSX、XLS）或 CSV 文件，或者文件已损坏。"
    "请在 Excel 中打开后“另存为”XLSX 格式再上传。"
)


def roster_xlsx() -> bytes:
    return files.xlsx([HEADER, *SHEET_ROWS])


def validate(
    data: bytes, actor: Any, club: Club | None, name: str = "花名册.xlsx"
) -> tuple[ImportRun, Plan]:
    run, plan = import_validate(
        kind="members", data=data, file_name=name, actor=actor, club=club, keep_plan=True
    )
    assert plan is not None, run.message
    return run, plan


def load(data: bytes, actor: Any, club: Club | None, **options: Any) -> ImportRun:
    run, _plan = validate(data, actor, club)
    return import_apply(run=run, actor=actor, **options)


def apply_refused(run: ImportRun, actor: Any) -> str:
    """Why applying the run again is refused."""
    with pytest.raises(ValidationError) as refused:
        import_apply(run=run, actor=actor, valid_only=True)
    return " ".join(refused.value.messages)


def members(*numbers: str) -> list[tuple[object, ...]]:
    """The members with these ID numbers, in that order, as the fields an import sets."""
    found = Member.objects.filter(person__id_number__in=numbers).select_related("person", "club")
    by_number = {member.person.id_number: member for member in found}
    return [_fields(by_number[number]) for number in numbers if number in by_number]


def _fields(member: Member) -> tuple[object, ...]:
    person = member.person
    return (
        person.name,
        person.id_number,
        person.gender,
        person.birth_date,
        person.phone,
        member.club.code,
        member.joined_party_on,
        member.category,
        member.lives_alone,
    )


def errors(plan: Plan) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.column, e.value, e.code) for e in plan.errors]


def counts(plan: Plan | ImportRun) -> tuple[int, int, int, int]:
    return plan.created, plan.updated, plan.unchanged, plan.error_rows


def history() -> int:
    """How many Person and Member events the audit history holds."""
    return PersonEvent.objects.count() + MemberEvent.objects.count()


def member_b(world: World) -> Member:
    """The member club B already has (tests/scoping/world.py)."""
    return Member.objects.select_related("person").get(
        club=world.club_b, person__name="乙方秘密党员"
    )


# --- Formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "content_type"),
    [
        pytest.param(lambda: files.xlsx([HEADER, *SHEET_ROWS]), XLSX_TYPE, id="xlsx"),
        pytest.param(
            lambda: files.xls([HEADER, *SHEET_ROWS]), "application/vnd.ms-excel", id="xls"
        ),
        pytest.param(lambda: files.csv_bytes([HEADER, *TEXT_ROWS]), "text/csv", id="csv utf-8"),
        pytest.param(
            lambda: files.csv_bytes([HEADER, *TEXT_ROWS], "utf-8-sig"), "text/csv", id="csv bom"
        ),
        pytest.param(lambda: files.csv_bytes([HEADER, *TEXT_ROWS], "gbk"), "text/csv", id="gbk"),
        pytest.param(
            lambda: files.csv_bytes([HEADER, *TEXT_ROWS], "gb18030"), "text/csv", id="gb18030"
        ),
    ],
)
def test_each_format_and_encoding_imports_the_same_roster(
    world: World, build: Callable[[], bytes], content_type: str
):
    # No extension: the format is judged by content alone.
    run, plan = validate(build(), world.people["alice"], world.club_a, name="花名册")

    assert errors(plan) == []
    assert counts(plan) == (3, 0, 0, 0)
    import_apply(run=run, actor=world.people["alice"])
    assert members(*ROSTER_IDS) == ROSTER
    assert run.file.content_type == content_type


# --- Ledgers as people make them ----------------------------------------------------


def test_a_hand_kept_ledger_imports_with_its_title_notes_sheet_spacers_and_footer(world: World):
    data = files.xlsx(
        [
            ["填报单位：甲小区党员服务社", None, None, None, "填报时间：2024年3月"],
            ["手机", "入党日期", "身份证号码", "名字", "序号"],
            [],
            [13854601234.0, Date(1972, 7, 1), "３７０５０２１９５００３０１００３３", "王 允功", 1],
            ["  ", "\u00a0", " ", "\u3000\u00a0", None],
            ["０５４６－８１２３４５６", "1975.10", LI, "李\u00a0秀英", 2],
            [None, None, None, None, None],
            ["139 0546 1111", "", ZHAO.lower(), "赵建国", 3],
            ["合计：3 人", None, None, None, None],
        ],
        title="甲小区党员服务社党员花名册",
        sheets={"填表说明": [["填表说明"], ["身份证号一列请设为文本格式。"]]},
    )

    run = load(data, world.people["alice"], world.club_a)

    assert (run.status, run.rows, run.created, run.error_rows) == ("applied", 3, 3, 0)
    assert [m[:2] + m[4:7] for m in members(*ROSTER_IDS)] == [
        ("王允功", WANG, "13854601234", "T001", Date(1972, 7, 1)),
        ("李秀英", LI, "0546-8123456", "T001", Date(1975, 10, 1)),
        ("赵建国", ZHAO, "13905461111", "T001", None),
    ]


def test_rows_below_a_title_are_numbered_as_excel_shows_them(world: World):
    data = files.xlsx(
        [
            ["填报单位：甲小区党员服务社"],
            ["姓名", "身份证号", "联系电话"],
            [],
            ["王允功", WANG, "13854601234"],
            ["\u00a0", "  ", None],
            ["李秀英", LI, "1385460123"],
        ],
        title="党员花名册",
        sheets={"说明": [["本表由社区填报"]]},
    )

    _run, plan = validate(data, world.people["alice"], world.club_a)

    assert errors(plan) == [(7, "联系电话", "1385460123", "bad_phone")]


def test_csv_errors_name_the_line_with_the_header_as_line_1(world: World):
    data = files.csv_bytes(
        [["姓名", "身份证号", "联系电话"], ["王允功", WANG, ""], [], ["李秀英", LI, "12345"]]
    )

    _run, plan = validate(data, world.people["alice"], world.club_a, name="花名册.csv")

    assert errors(plan) == [(4, "联系电话", "12345", "bad_phone")]


@pytest.mark.parametrize(
    ("name", "number", "phone", "joined"),
    [
        ("姓名", "身份证号", "联系电话", "入党时间"),
        ("名字", "身份证号码", "电话", "入党日期"),
        ("姓名", "身份证号码", "手机", "入党日期"),
    ],
)
def test_header_wordings_vary(world: World, name: str, number: str, phone: str, joined: str):
    data = files.xlsx([[joined, phone, number, name], ["1972.07", "13854601234", WANG, "王允功"]])

    load(data, world.people["alice"], world.club_a)

    assert [m[:2] + m[4:7] for m in members(WANG)] == [
        ("王允功", WANG, "13854601234", "T001", Date(1972, 7, 1))
    ]


def test_dates_are_read_from_date_cells_serial_numbers_and_every_written_form(world: World):
    forms: list[tuple[object, Date]] = [
        (Date(1957, 10, 7), Date(1957, 10, 7)),  # a real Excel date
        ((Date(1958, 11, 8) - Date(1899, 12, 30)).days, Date(1958, 11, 8)),  # a serial number
        ("1950.03", Date(1950, 3, 1)),
        ("1951.4.2", Date(1951, 4, 2)),
        ("1952年5月", Date(1952, 5, 1)),
        ("1953年6月3日", Date(1953, 6, 3)),
        ("1954-7-4", Date(1954, 7, 4)),
        ("1955/08/05", Date(1955, 8, 5)),
        ("19560906", Date(1956, 9, 6)),
    ]
    numbers = [id_number(born=Date(1930, 1, 1), seq=seq) for seq in range(len(forms))]
    rows = [
        [f"党员{n}", number, form]
        for n, (number, (form, _)) in enumerate(zip(numbers, forms, strict=True))
    ]

    load(files.xlsx([["姓名", "身份证号", "入党时间"], *rows]), world.people["alice"], world.club_a)

    assert [m[6] for m in members(*numbers)] == [expected for _, expected in forms]


def test_a_full_width_lower_case_x_id_number_is_the_same_person(world: World):
    load(roster_xlsx(), world.people["alice"], world.club_a)
    full_width = ZHAO[:-1].translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}) + "ｘ"

    _run, plan = validate(
        files.xlsx([["姓名", "身份证号"], ["赵 建国", full_width]]),
        world.people["alice"],
        world.club_a,
    )

    assert counts(plan) == (0, 0, 1, 0)


def test_imported_and_renamed_people_are_found_by_pinyin(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)

    run = load(files.xlsx([["姓名", "身份证号"], ["王云公", WANG]]), alice, world.club_a)

    assert counts(run) == (0, 1, 0, 0)
    pinyin = Person.objects.filter(id_number__in=ROSTER_IDS).values_list(
        "name", "name_pinyin", "name_initials"
    )
    assert sorted(pinyin) == [
        ("李秀英", "lixiuying", "lxy"),
        ("王云公", "wangyungong", "wyg"),
        ("赵建国", "zhaojianguo", "zjg"),
    ]


def test_a_community_is_read_by_its_name_among_the_clubs_communities(world: World):
    data = files.xlsx([["姓名", "身份证号", "小区", "楼号"], ["王允功", WANG, "甲小苑", "3"]])

    load(data, world.people["alice"], world.club_a)

    person = Person.objects.select_related("community").get(id_number=WANG)
    assert (person.community.name, person.community.club, person.building) == (
        "甲小苑",
        world.club_a,
        "3",
    )


def test_a_community_another_club_serves_is_left_empty_with_a_warning(world: World):
    data = files.xlsx(
        [["姓名", "身份证号", "小区"], ["王允功", WANG, "甲小苑"], ["李秀英", LI, "乙小苑"]]
    )

    _run, plan = validate(data, world.people["alice"], world.club_a)

    assert (plan.errors, plan.created) == ([], 2)
    assert [(w.row, w.column, w.value, w.code) for w in plan.warnings] == [
        (3, "小区", "乙小苑", "community_unknown")
    ]


def test_a_gender_beside_the_id_number_must_be_the_one_it_encodes(world: World):
    data = files.xlsx([["姓名", "性别", "身份证号"], ["王允功", "男", WANG], ["李秀英", "男", LI]])

    _run, plan = validate(data, world.people["alice"], world.club_a)

    assert [(e.row, e.column, e.value, e.code, e.message) for e in plan.errors] == [
        (
            3,
            "性别",
            "男",
            "id_gender_mismatch",
            "性别与身份证号不一致（第 17 位单数为男，双数为女）。",
        )
    ]


def test_the_clubs_party_applicant_joins_the_roster_as_the_same_person(world: World):
    applicant = Person.objects.get(name="甲方入党申请人")
    people = Person.objects.count()
    data = files.xlsx(
        [["姓名", "身份证号", "联系电话"], ["甲方入党申请人", applicant.id_number, "13854601234"]]
    )

    run = load(data, world.people["alice"], world.club_a)

    assert counts(run) == (1, 0, 0, 0)
    assert Person.objects.count() == people
    applicant.refresh_from_db()
    assert (applicant.member.club, applicant.phone) == (world.club_a, "13854601234")


# --- Row errors ---------------------------------------------------------------------


def test_each_bad_row_is_named_with_its_row_column_value_and_code(world: World):
    elsewhere = member_b(world).person.id_number
    wrong_check = WANG[:-1] + ("1" if WANG[-1] != "1" else "2")
    long_number = 370502195207150040  # Excel keeps 15 digits of it
    data = files.xlsx(
        [
            ["姓名", "身份证号", "出生日期", "联系电话", "入党时间", "党员类别"],
            ["王允功", WANG, None, "13854601234", None, None],
            ["孙一", wrong_check, None, None, None, None],
            ["孙二", "3.70102E+17", None, None, None, None],
            ["孙三", long_number, None, None, None, None],
            ["孙四", 370502500301003, None, None, None, None],
            ["孙五", "370502195003010000", None, None, None, None],
            ["孙六", SUN, Date(1950, 3, 2), None, None, None],
            ["王允功", WANG, None, None, None, None],
            ["某某", elsewhere, None, None, None, None],
            [None, ZHOU, None, None, None, None],
            ["吴七", None, None, None, None, None],
            ["郑八", ZHENG, None, None, "1950.13", None],
            ["郑九", WU, None, "1385460123", None, None],
            ["李秀英", LI, None, None, None, "退休干部"],
            ["赵建国", ZHAO, None, None, None, None],
        ],
        title="甲小区党员花名册",
    )

    _run, plan = validate(data, world.people["alice"], world.club_a)

    assert errors(plan) == [
        (4, "身份证号", wrong_check, "bad_id_checksum"),
        (5, "身份证号", "3.70102E+17", "bad_id_format"),
        (6, "身份证号", str(int(float(long_number))), "bad_id_format"),
        (7, "身份证号", "370502500301003", "bad_id_format"),
        (8, "身份证号", "370502195003010000", "bad_id_format"),
        (9, "出生日期", "1950-03-02", "id_birth_mismatch"),
        (10, "身份证号", WANG, "duplicate_id"),
        (11, "身份证号", elsewhere, "registered_elsewhere"),
        (12, "姓名", "", "missing_required"),
        (13, "身份证号", "", "missing_required"),
        (14, "入党时间", "1950.13", "bad_date"),
        (15, "联系电话", "1385460123", "bad_phone"),
        (16, "党员类别", "退休干部", "bad_choice"),
    ]
    assert counts(plan) == (2, 0, 0, 13)
    assert plan.rows == 15


def test_row_errors_say_what_is_wrong_in_chinese(world: World):
    data = files.xlsx(
        [
            ["姓名", "身份证号", "出生日期", "联系电话", "入党时间", "党员类别"],
            ["王允功", WANG, None, "13854601234", None, None],
            ["孙二", "3.70102E+17", None, None, None, None],
            ["孙三", 370502195207150040, None, None, None, None],
            ["孙六", SUN, Date(1950, 3, 2), None, None, None],
            ["王允功", WANG, None, None, None, None],
            [None, ZHOU, None, None, None, None],
            ["吴七", None, None, None, None, None],
            ["郑八", ZHENG, None, None, "1950.13", None],
            ["李秀英", LI, None, None, None, "退休干部"],
        ]
    )

    _run, plan = validate(data, world.people["alice"], world.club_a)

    assert [(e.row, e.message) for e in plan.errors] == [
        (3, "身份证号是科学计数法（3.70102E+17），已丢失末几位，请把该列设为文本后重新填写。"),
        (
            4,
            "身份证号被 Excel 存成了数字（3.70502E+17），已丢失末几位，"
            "请把该列设为文本后重新填写。",
        ),
        (5, "出生日期 1950-03-02 与身份证号中的 1950-03-01 不一致。"),
        (6, f"身份证号 {WANG} 与第 2 行重复。"),
        (7, "请填写姓名。"),
        (8, "请填写身份证号。"),
        (
            9,
            "无法识别的日期“1950.13”，"
            "请写成 1950-03-01 或 1950年3月1日（只知道年月时写 1950-03）。",
        ),
        (
            10,
            "“退休干部”不是可选的值，可选：离退休党员、流动党员、协解党员、家属党员、"
            "复转军人党员、待业子女党员、在职党员（八小时外）、其他。",
        ),
    ]


def test_a_row_repeating_a_bad_rows_person_is_a_duplicate(world: World):
    data = files.xlsx(
        [
            ["姓名", "身份证号", "联系电话"],
            ["王允功", WANG, "1385460123"],
            ["王允功", WANG, "13854601234"],
        ]
    )

    _run, plan = validate(data, world.people["alice"], world.club_a)

    assert errors(plan) == [
        (2, "联系电话", "1385460123", "bad_phone"),
        (3, "身份证号", WANG, "duplicate_id"),
    ]


def test_a_person_registered_in_another_club_is_refused_naming_only_that_club(world: World):
    held = member_b(world)
    data = files.xlsx(
        [
            ["姓名", "身份证号", "联系电话"],
            ["王允功", WANG, None],
            ["某某", held.person.id_number, None],
        ]
    )

    _run, plan = validate(data, world.people["alice"], world.club_a)

    [error] = plan.errors
    assert (error.row, error.code) == (3, "registered_elsewhere")
    assert error.message == (
        "该身份证号的人员已在“乙小区党员服务社”登记，不能重复登记。"
        "如需转入，请由该服务社发起党员转接。"
    )
    assert held.person.name not in error.message
    assert held.person.phone not in error.message


def test_a_club_column_naming_another_club_is_out_of_scope(world: World):
    data = files.xlsx(
        [
            ["所属服务社", "姓名", "身份证号"],
            ["甲小区", "王允功", WANG],
            ["乙小区党员服务社", "李秀英", LI],
            ["丙小区", "赵建国", ZHAO],
        ]
    )

    _run, plan = validate(data, world.people["alice"], None)

    assert [(e.row, e.column, e.code, e.message) for e in plan.errors] == [
        (
            3,
            "所属服务社",
            "out_of_scope",
            "您无权向“乙小区党员服务社”导入数据，它不在您负责的范围内。",
        ),
        (4, "所属服务社", "bad_choice", "没有名为“丙小区”的党员服务社。"),
    ]
    assert counts(plan) == (1, 0, 0, 2)


# --- Files refused whole --------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "code", "message"),
    [
        pytest.param(files.pdf_bytes, "not_a_spreadsheet", None, id="pdf"),
        pytest.param(files.png_bytes, "not_a_spreadsheet", None, id="png"),
        pytest.param(files.random_bytes, "not_a_spreadsheet", None, id="random bytes"),
        pytest.param(lambda: b"", "empty", "文件里没有任何内容。", id="empty"),
        pytest.param(
            lambda: files.csv_bytes([HEADER]), "empty", "表格只有表头，没有数据。", id="header only"
        ),
        pytest.param(
            lambda: files.xlsx([["序号", "活动", "日期"], [1, "重阳节慰问", "2024-10-11"]]),
            "no_header",
            "没有找到表头：请确认表格前 30 行中有一行列名，并且包含“姓名”“身份证号”这几列。",
            id="no header",
        ),
        pytest.param(
            lambda: files.declared_bomb(padding=1024, members=2, declared=0xF000_0000),
            "too_large",
            "文件解压后过大，疑似恶意构造的压缩文件，已拒绝。",
            id="declared zip bomb",
        ),
        pytest.param(
            lambda: files.zeros_bomb(8 * MB),
            "too_large",
            "文件解压后过大，疑似恶意构造的压缩文件，已拒绝。",
            id="zeros zip bomb",
        ),
    ],
)
def test_a_file_refused_whole_is_recorded_and_writes_nothing(
    world: World, build: Callable[[], bytes], code: str, message: str | None
):
    people, memberships = Person.objects.count(), Member.objects.count()

    run, plan = import_validate(
        kind="members",
        data=build(),
        file_name="花名册.xlsx",
        actor=world.people["alice"],
        club=world.club_a,
    )

    assert plan is None
    run.refresh_from_db()
    assert (run.status, run.rejected_code) == ("rejected", code)
    assert run.message == (message or NOT_A_SPREADSHEET)
    assert (run.user, run.club, run.file, run.rows) == (
        world.people["alice"],
        world.club_a,
        None,
        0,
    )
    assert (Person.objects.count(), Member.objects.count()) == (people, memberships)


def test_a_file_over_the_size_limit_is_refused(world: World, settings: Any):
    settings.FUWUSHE_IMPORT_MAX_BYTES = 1024
    data = files.csv_bytes([HEADER, *TEXT_ROWS * 8])
    assert len(data) > 1024

    run, plan = import_validate(
        kind="members",
        data=data,
        file_name="花名册.csv",
        actor=world.people["alice"],
        club=world.club_a,
    )

    assert plan is None
    assert (run.status, run.rejected_code) == ("rejected", "too_large")
    assert run.message == "文件超过 1 KB 的上限，请分成几个文件导入。"
    assert members(*ROSTER_IDS) == []


def test_a_file_without_a_club_column_or_a_chosen_club_is_refused_as_no_club(world: World):
    run, plan = import_validate(
        kind="members", data=roster_xlsx(), file_name="花名册.xlsx", actor=None, club=None
    )

    assert plan is None
    assert (run.status, run.rejected_code) == ("rejected", "no_club")
    assert run.message == (
        "文件没有“所属服务社”列，请指定要导入到哪个服务社"
        "（命令行用 --club，网页导入时选择服务社）。"
    )


# --- Validate, then apply -------------------------------------------------------------


def test_apply_writes_the_stored_plan_without_reading_the_file_again(world: World):
    alice = world.people["alice"]
    run, _plan = validate(roster_xlsx(), alice, world.club_a)
    assert members(*ROSTER_IDS) == []
    # The kept file is gone: applying can only work from the plan stored on the run.
    run.file.file.delete(save=False)

    stored = ImportRun.objects.get(pk=run.pk)
    assert len(stored.plan["operations"]["create"]) == 3
    applied = import_apply(run=stored, actor=alice)

    assert members(*ROSTER_IDS) == ROSTER
    applied.refresh_from_db()
    assert (applied.status, applied.plan) == ("applied", None)


def test_a_file_with_one_bad_row_writes_nothing(world: World):
    data = files.xlsx([HEADER, *SHEET_ROWS, [4, "孙一", "男", WANG[:-1] + "0", None, None]])
    people, memberships = Person.objects.count(), Member.objects.count()

    run = load(data, world.people["alice"], world.club_a)

    assert run.status == "failed"
    assert run.message == "有 1 行数据有错误，没有导入任何数据。请改正后重新导入。"
    assert (Person.objects.count(), Member.objects.count()) == (people, memberships)
    assert (
        apply_refused(run, world.people["alice"])
        == "这次导入的状态是“有错误，未导入”，不能再导入。"
    )


def test_valid_only_writes_exactly_the_valid_rows(world: World):
    bad = [4, "孙一", "男", SUN, None, "1385460123", None, None, None]
    data = files.xlsx([HEADER, SHEET_ROWS[0], bad, *SHEET_ROWS[1:]])

    run = load(data, world.people["alice"], world.club_a, valid_only=True)

    assert (run.status, run.valid_only) == ("applied", True)
    assert run.message == "新增 3 条，更新 0 条，无变化 0 条，跳过有错误的 1 行。"
    assert members(*ROSTER_IDS, SUN) == ROSTER
    assert not Person.objects.filter(id_number=SUN).exists()


def test_a_run_is_applied_once(world: World):
    run = load(roster_xlsx(), world.people["alice"], world.club_a)

    assert apply_refused(run, world.people["alice"]) == "这次导入的状态是“已导入”，不能再导入。"


def test_a_run_validated_without_keeping_its_plan_cannot_be_applied_later(world: World):
    run, _plan = import_validate(
        kind="members",
        data=roster_xlsx(),
        file_name="花名册.xlsx",
        actor=world.people["alice"],
        club=world.club_a,
        keep_plan=False,
    )

    with pytest.raises(ValidationError) as refused:
        import_apply(run=ImportRun.objects.get(pk=run.pk), actor=world.people["alice"])

    assert refused.value.messages == ["这次导入没有保存校验结果，请重新上传文件。"]
    assert members(*ROSTER_IDS) == []


def test_apply_writes_nothing_when_someone_registered_a_person_after_validation(world: World):
    run, _plan = validate(roster_xlsx(), world.people["alice"], world.club_a)
    member_create(
        actor=world.people["charlie"], club=world.club_b, person={"name": "李秀英", "id_number": LI}
    )

    with pytest.raises(ValidationError) as refused:
        import_apply(run=run, actor=world.people["alice"])

    assert refused.value.messages == [
        "校验之后，有人已经登记了文件中的部分人员。请重新上传文件校验后再导入。"
    ]
    assert [m[1] for m in members(*ROSTER_IDS)] == [LI]
    assert ImportRun.objects.get(pk=run.pk).status == "validated"


# --- Importing again --------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)
    events = history()

    again = load(roster_xlsx(), alice, world.club_a)

    assert counts(again) == (0, 0, 3, 0)
    assert again.message == "新增 0 条，更新 0 条，无变化 3 条。"
    assert history() == events
    assert members(*ROSTER_IDS) == ROSTER


def test_a_changed_phone_updates_that_person_only(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)
    changed = [row.copy() for row in SHEET_ROWS]
    changed[1][5] = "13954601234"

    run = load(files.xlsx([HEADER, *changed]), alice, world.club_a)

    assert counts(run) == (0, 1, 2, 0)
    assert members(*ROSTER_IDS) == [
        ROSTER[0],
        (*ROSTER[1][:4], "13954601234", *ROSTER[1][5:]),
        ROSTER[2],
    ]
    event = PersonEvent.objects.get(id_number=LI, pgh_label="update")
    assert event.phone == "13954601234"
    assert event.pgh_context.metadata == {"user": alice.pk, "source": f"导入#{run.pk}"}


def test_an_imported_change_moves_the_persons_update_time(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)
    before = Person.objects.get(id_number=LI).updated_at
    changed = [row.copy() for row in SHEET_ROWS]
    changed[1][5] = "13954601234"

    load(files.xlsx([HEADER, *changed]), alice, world.club_a)

    assert Person.objects.get(id_number=LI).updated_at > before


def test_blank_cells_keep_what_is_on_record_and_a_blank_flag_means_no(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)
    blanks = [
        [n, name, None, number, None, None, None, None, None]
        for n, name, _g, number, *_ in SHEET_ROWS
    ]

    run = load(files.xlsx([HEADER, *blanks]), alice, world.club_a)

    assert counts(run) == (0, 1, 2, 0)
    assert members(*ROSTER_IDS) == [(*ROSTER[0][:8], False), ROSTER[1], ROSTER[2]]


def test_a_ledger_without_the_flag_columns_leaves_the_flags_alone(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)

    run = load(files.xlsx([["姓名", "身份证号"], ["王允功", WANG]]), alice, world.club_a)

    assert counts(run) == (0, 0, 1, 0)
    assert members(WANG) == [ROSTER[0]]


def test_a_known_member_of_the_club_is_updated_not_created(world: World):
    known = Member.objects.select_related("person").get(
        club=world.club_a, person__name="甲方秘密党员"
    )
    data = files.xlsx(
        [["姓名", "身份证号", "党员类别"], ["甲方秘密党员", known.person.id_number, "流动党员"]]
    )

    run = load(data, world.people["alice"], world.club_a)

    assert counts(run) == (0, 1, 0, 0)
    known.refresh_from_db()
    assert known.category == "mobile"
    event = MemberEvent.objects.get(pgh_obj=known, pgh_label="update")
    assert event.pgh_context.metadata == {
        "user": world.people["alice"].pk,
        "source": f"导入#{run.pk}",
    }


# --- Who may import what ----------------------------------------------------------------


def test_a_club_user_cannot_change_another_clubs_people(world: World):
    held = member_b(world)
    applicant = Person.objects.get(name="乙方入党申请人")
    events = PersonEvent.objects.filter(pgh_obj__in=[held.person, applicant]).count()
    data = files.xlsx(
        [
            ["姓名", "身份证号", "联系电话"],
            ["王允功", WANG, "13854601234"],
            ["改名", held.person.id_number, "13800000000"],
            ["改名", applicant.id_number, "13800000001"],
        ]
    )

    run, plan = validate(data, world.people["alice"], world.club_a)
    import_apply(run=run, actor=world.people["alice"], valid_only=True)

    assert [(e.row, e.code) for e in plan.errors] == [
        (3, "registered_elsewhere"),
        (4, "registered_elsewhere"),
    ]
    held.refresh_from_db()
    held.person.refresh_from_db()
    applicant.refresh_from_db()
    assert (held.club, held.person.name, held.person.phone) == (
        world.club_b,
        "乙方秘密党员",
        "13900112888",
    )
    assert (applicant.name, applicant.phone, hasattr(applicant, "member")) == (
        "乙方入党申请人",
        "",
        False,
    )
    assert PersonEvent.objects.filter(pgh_obj__in=[held.person, applicant]).count() == events


def test_a_club_user_cannot_import_into_another_club(world: World):
    runs = ImportRun.objects.count()

    with pytest.raises(PermissionDenied) as refused:
        import_validate(
            kind="members",
            data=roster_xlsx(),
            file_name="花名册.xlsx",
            actor=world.people["alice"],
            club=world.club_b,
        )

    assert str(refused.value) == "您无权向“乙小区党员服务社”导入数据。"
    assert ImportRun.objects.count() == runs
    assert members(*ROSTER_IDS) == []


def test_another_clubs_director_cannot_apply_a_run(world: World):
    run, _plan = validate(roster_xlsx(), world.people["alice"], world.club_a)

    with pytest.raises(PermissionDenied):
        import_apply(run=run, actor=world.people["charlie"])

    assert members(*ROSTER_IDS) == []
    assert ImportRun.objects.get(pk=run.pk).status == "validated"


def test_a_department_admin_imports_into_her_departments_club_only(world: World):
    dora = world.people["dora"]

    run = load(roster_xlsx(), dora, world.club_a)

    assert (run.status, run.user, run.club, run.file.club) == (
        "applied",
        dora,
        world.club_a,
        world.club_a,
    )
    assert members(*ROSTER_IDS) == ROSTER
    with pytest.raises(PermissionDenied):
        import_validate(
            kind="members",
            data=roster_xlsx(),
            file_name="花名册.xlsx",
            actor=dora,
            club=world.club_b,
        )
    _run, plan = validate(
        files.xlsx(
            [["所属服务社", "姓名", "身份证号"], ["T002", "孙一", SUN], ["T001", "周二", ZHOU]]
        ),
        dora,
        None,
    )
    assert [(e.row, e.code) for e in plan.errors] == [(2, "out_of_scope")]


def test_a_club_users_file_whose_every_row_is_refused_is_recorded_for_her_club(world: World):
    data = files.xlsx([["姓名", "身份证号"], ["某某", member_b(world).person.id_number]])

    run, plan = validate(data, world.people["alice"], world.club_a)

    assert [e.code for e in plan.errors] == ["registered_elsewhere"]
    assert (run.club, run.department, run.file.club) == (world.club_a, None, world.club_a)
    assert import_apply(run=run, actor=world.people["alice"]).status == "failed"


def test_the_center_imports_a_file_whose_club_column_spans_clubs(world: World):
    data = files.xlsx(
        [["所属服务社", "姓名", "身份证号"], ["甲小区", "王允功", WANG], ["T002", "李秀英", LI]]
    )

    run = load(data, None, None)

    assert [(m[1], m[5]) for m in members(WANG, LI)] == [(WANG, "T001"), (LI, "T002")]
    assert (run.club, run.department, run.user, run.file.club, run.file.uploaded_by) == (
        None,
        None,
        None,
        None,
        None,
    )


# --- Queries grow per batch, not per row -------------------------------------------------


def roster_of(count: int, born: Date, phone: str = "13854601234") -> tuple[list[str], bytes]:
    numbers = [id_number(born=born, seq=seq) for seq in range(count)]
    rows = [[f"党员{n}", number, phone] for n, number in enumerate(numbers)]
    return numbers, files.xlsx([["姓名", "身份证号", "联系电话"], *rows])


def queries_to_import(data: bytes, actor: Any, club: Club | None) -> tuple[int, int]:
    """Queries to validate the file and to apply it (as a fresh request would: the user's
    permissions not yet read)."""
    actor = type(actor).objects.get(pk=actor.pk) if actor is not None else None
    with CaptureQueriesContext(connection) as validating:
        run, _plan = validate(data, actor, club)
    with CaptureQueriesContext(connection) as applying:
        import_apply(run=run, actor=actor, valid_only=True)
    return len(validating.captured_queries), len(applying.captured_queries)


def test_creating_and_updating_take_as_many_queries_for_3_rows_as_for_40(world: World):
    alice = world.people["alice"]
    numbers, few = roster_of(3, Date(1960, 1, 1))
    more_numbers, many = roster_of(40, Date(1961, 1, 1))
    creating = [queries_to_import(data, alice, world.club_a) for data in (few, many)]
    _numbers, few = roster_of(3, Date(1960, 1, 1), phone="13954601234")
    _numbers, many = roster_of(40, Date(1961, 1, 1), phone="13954601234")

    updating = [queries_to_import(data, alice, world.club_a) for data in (few, many)]

    assert creating[0] == creating[1]
    assert updating[0] == updating[1]
    updated = Person.objects.filter(id_number__in=numbers + more_numbers, phone="13954601234")
    assert updated.count() == 43


def test_refusing_rows_held_elsewhere_takes_as_many_queries_for_3_rows_as_for_40(
    world: World, django_capture_on_commit_callbacks: Any
):
    # Each refusal is a counted answer (members.lookups): 43 stay below this limit.
    with django_capture_on_commit_callbacks(execute=True):
        config_set(user=world.people["carol"], key="id_lookup_limit", value=100)
    assert config_get("id_lookup_limit") == 100  # and cached, as after any first request
    refused = []
    for count, born, valid in ((3, Date(1960, 1, 1), WANG), (40, Date(1961, 1, 1), LI)):
        numbers, data = roster_of(count, born)
        load(data, world.people["charlie"], world.club_b)
        held = files.xlsx(
            [["姓名", "身份证号"], ["新党员", valid], *[["某某", n] for n in numbers]]
        )
        refused.append(queries_to_import(held, world.people["alice"], world.club_a))

    assert refused[0] == refused[1]


# --- The record and the history -----------------------------------------------------------


def test_each_run_is_recorded_with_who_the_kept_file_counts_and_outcome(world: World):
    alice = world.people["alice"]
    data = roster_xlsx()

    run = load(data, alice, world.club_a)

    run.refresh_from_db()
    assert (run.kind, run.file_name, run.user, run.operator) == (
        "members",
        "花名册.xlsx",
        alice,
        "",
    )
    assert (run.club, run.department) == (world.club_a, None)
    assert (run.status, run.rows, *counts(run), run.errors) == ("applied", 3, 3, 0, 0, 0, [])
    assert run.message == "新增 3 条，更新 0 条，无变化 0 条。"
    assert run.applied_at is not None and run.applied_at >= run.created_at
    kept = run.file
    assert (kept.purpose, kept.club, kept.department, kept.uploaded_by) == (
        "import",
        world.club_a,
        None,
        alice,
    )
    assert (kept.original_name, kept.size, kept.sha256) == (
        "花名册.xlsx",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    with kept.file.open("rb") as stored:
        assert stored.read() == data


def test_a_failed_run_keeps_its_errors(world: World):
    data = files.xlsx(
        [HEADER, SHEET_ROWS[0], [2, "孙一", "男", SUN, None, "12345", None, None, None]]
    )

    run = load(data, world.people["alice"], world.club_a)

    run.refresh_from_db()
    assert (run.status, run.rows, run.error_rows, run.applied_at) == ("failed", 2, 1, None)
    assert run.errors == [
        {
            "row": 3,
            "column": "联系电话",
            "value": "12345",
            "code": "bad_phone",
            "message": "电话“12345”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。",
        }
    ]


def test_every_imported_person_and_member_is_in_the_history_as_the_importer(world: World):
    alice = world.people["alice"]

    run = load(roster_xlsx(), alice, world.club_a)

    context = {"user": alice.pk, "source": f"导入#{run.pk}"}
    people = Person.objects.filter(id_number__in=ROSTER_IDS)
    inserts = PersonEvent.objects.filter(pgh_obj__in=people, pgh_label="insert")
    assert sorted(e.id_number for e in inserts) == sorted(ROSTER_IDS)
    assert [e.pgh_context.metadata for e in inserts] == [context] * 3
    member_inserts = MemberEvent.objects.filter(pgh_obj__person__in=people, pgh_label="insert")
    assert [e.pgh_context.metadata for e in member_inserts] == [context] * 3


def test_bulk_updates_are_in_the_history_as_the_importer(world: World):
    alice = world.people["alice"]
    load(roster_xlsx(), alice, world.club_a)
    changed = [[*row[:7], "流动党员", row[8]] for row in SHEET_ROWS]

    run = load(files.xlsx([HEADER, *changed]), alice, world.club_a)

    assert counts(run) == (0, 3, 0, 0)
    updates = MemberEvent.objects.filter(
        pgh_obj__person__id_number__in=ROSTER_IDS, pgh_label="update"
    )
    assert (
        sorted((e.category, e.pgh_context.metadata["source"]) for e in updates)
        == [("mobile", f"导入#{run.pk}")] * 3
    )
    assert {e.pgh_context.metadata["user"] for e in updates} == {alice.pk}


# --- Defects found by these tests --------------------------------------------------------


def test_a_birth_year_and_month_agrees_with_the_id_numbers_full_birth_date(world: World):
    data = files.xlsx(
        [["姓名", "身份证号", "出生年月"], ["王允功", WANG, "1950.03"], ["李秀英", LI, "1952.07"]]
    )

    run, plan = validate(data, world.people["alice"], world.club_a)
    import_apply(run=run, actor=world.people["alice"])

    assert errors(plan) == []
    assert Person.objects.get(id_number=LI).birth_date == Date(1952, 7, 15)


def test_a_value_too_long_for_its_field_is_a_row_error(world: World):
    data = files.xlsx(
        [
            ["姓名", "身份证号", "房号"],
            ["王允功", WANG, "302"],
            ["李秀英", LI, "1单元302室东户临时住"],
        ]
    )

    run, plan = validate(data, world.people["alice"], world.club_a)

    assert [(e.row, e.column, e.value, e.code, e.message) for e in plan.errors] == [
        (3, "房号", "1单元302室东户临时住", "too_long", "内容过长：最多 10 个字，这里有 12 个。")
    ]
    assert import_apply(run=run, actor=world.people["alice"]).status == "failed"
    assert members(WANG, LI) == []


def zeroed_but_valid() -> str:
    body = "37050219350305100"  # as Excel leaves it, yet its check character is 0
    number = body + ric.calc_check_digit(body + "0")
    assert number.endswith("000")
    return number


def test_a_number_ending_in_000_is_suspect_when_excel_damaged_the_column_elsewhere(world: World):
    rows = [
        ["姓名", "身份证号"],
        ["张三", zeroed_but_valid()],
        ["李四", "370502194503014000"],  # zeroed and failing its check character
    ]

    _run, plan = import_validate(
        kind="members",
        data=files.csv_bytes(rows),
        file_name="z.csv",
        actor=world.people["alice"],
        club=world.club_a,
    )

    assert [(e.row, e.code) for e in plan.errors] == [(2, "bad_id_format"), (3, "bad_id_format")]
    assert "Excel" in plan.errors[0].message
    assert plan.created == 0


def test_a_number_ending_in_000_in_an_undamaged_file_is_a_real_number(world: World):
    rows = [["姓名", "身份证号"], ["张三", zeroed_but_valid()], ["王五", id_number(seq=305)]]

    _run, plan = import_validate(
        kind="members",
        data=files.csv_bytes(rows),
        file_name="z.csv",
        actor=world.people["alice"],
        club=world.club_a,
    )

    assert plan.errors == []
    assert plan.created == 2


def test_a_party_date_in_the_future_or_in_childhood_is_a_bad_date(world: World):
    rows = [
        ["姓名", "身份证号", "入党时间"],
        ["张三", id_number(seq=301), "2090-01-01"],
        ["李四", id_number(seq=302), "1950-01-01"],
    ]

    _run, plan = import_validate(
        kind="members",
        data=files.csv_bytes(rows),
        file_name="d.csv",
        actor=world.people["alice"],
        club=world.club_a,
    )

    assert [(e.row, e.column, e.code) for e in plan.errors] == [
        (2, "入党时间", "bad_date"),
        (3, "入党时间", "bad_date"),
    ]


def test_a_run_whose_rows_name_two_clubs_belongs_to_no_single_club(world: World):
    rows = [
        ["所属服务社", "姓名", "身份证号", "联系电话"],
        [world.club_a.name, "张三", id_number(seq=303), "13800000000"],
        [world.club_b.name, "乙社某人", id_number(seq=304), "12345"],
    ]

    run, plan = import_validate(
        kind="members",
        data=files.csv_bytes(rows),
        file_name="two.csv",
        actor=world.people["carol"],
    )

    assert plan.error_rows == 1
    assert (run.club_id, run.department_id) == (None, None)
