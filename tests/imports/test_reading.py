import datetime
import time
from typing import Any

import pytest

from fuwushe.imports.reading import Column, Rejected, Sheet, read_table
from tests.imports import files

MB = 1024 * 1024

COLUMNS = [
    Column("name", "姓名", ("党员姓名",), required=True),
    Column("id_number", "身份证号", ("身份证号码", "身份证", "公民身份号码"), required=True),
    Column("gender", "性别"),
    Column("birth_date", "出生日期", ("出生年月",)),
    Column("phone", "联系电话", ("手机号", "电话")),
]

HEADER = ["序号", "姓名", "性别", "身份证号", "出生日期", "联系电话"]
ALICE_ID = "370102195003011234"
BOB_ID = "37010219620715002X"


def values(sheet: Sheet) -> list[dict[str, object]]:
    return [row.values for row in sheet.rows]


def numbers(sheet: Sheet) -> list[int]:
    return [row.number for row in sheet.rows]


def rejected(data: bytes, **options: Any) -> Rejected:
    with pytest.raises(Rejected) as caught:
        read_table(data, COLUMNS, **options)
    return caught.value


# --- Formats ----------------------------------------------------------------------


def test_it_reads_an_xlsx_roster_with_cells_as_excel_holds_them():
    data = files.xlsx(
        [
            HEADER,
            [1, "王允功", "男", ALICE_ID, datetime.date(1950, 3, 1), 13854601234],
            [2, "李秀英", "女", BOB_ID, "1962.07", "0531-88886666"],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert sheet.name == "花名册"
    assert sheet.header_row == 1
    assert sheet.columns == {
        "name": 1,
        "gender": 2,
        "id_number": 3,
        "birth_date": 4,
        "phone": 5,
    }
    assert values(sheet) == [
        {
            "name": "王允功",
            "gender": "男",
            "id_number": ALICE_ID,
            "birth_date": datetime.date(1950, 3, 1),
            "phone": 13854601234.0,
        },
        {
            "name": "李秀英",
            "gender": "女",
            "id_number": BOB_ID,
            "birth_date": "1962.07",
            "phone": "0531-88886666",
        },
    ]
    assert numbers(sheet) == [2, 3]


def test_it_reads_an_xls_roster():
    data = files.xls(
        [
            HEADER,
            [1, "王允功", "男", ALICE_ID, datetime.date(1950, 3, 1), 13854601234],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert values(sheet) == [
        {
            "name": "王允功",
            "gender": "男",
            "id_number": ALICE_ID,
            "birth_date": datetime.date(1950, 3, 1),
            "phone": 13854601234,
        }
    ]
    assert numbers(sheet) == [2]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_csv_in_each_encoding(encoding: str):
    data = files.csv_bytes([HEADER, ["1", "王允功", "男", ALICE_ID, "1950-03-01", ""]], encoding)

    sheet = read_table(data, COLUMNS)

    assert sheet.name == "CSV"
    assert values(sheet) == [
        {
            "name": "王允功",
            "gender": "男",
            "id_number": ALICE_ID,
            "birth_date": "1950-03-01",
            "phone": None,
        }
    ]
    assert numbers(sheet) == [2]


def test_it_reads_gb18030_text_that_gbk_cannot_hold():
    data = files.csv_bytes([HEADER, ["1", "王𠀀", "男", ALICE_ID]], "gb18030")

    assert values(read_table(data, COLUMNS))[0]["name"] == "王𠀀"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_it_reads_csv_separated_by_semicolons_or_tabs(delimiter: str):
    data = files.csv_bytes([HEADER, ["1", "王允功", "男", ALICE_ID]], delimiter=delimiter)

    sheet = read_table(data, COLUMNS)

    assert values(sheet)[0]["id_number"] == ALICE_ID
    assert values(sheet)[0]["name"] == "王允功"


def test_a_short_csv_row_leaves_the_missing_cells_empty():
    data = "姓名,身份证号,联系电话\n王允功,370102195003011234\n".encode()

    assert values(read_table(data, COLUMNS)) == [
        {"name": "王允功", "id_number": ALICE_ID, "phone": None}
    ]


# --- Row numbers ------------------------------------------------------------------


def test_rows_are_numbered_as_excel_shows_them_below_a_title_and_across_blank_rows():
    data = files.xlsx(
        [
            ["填报单位：东利党员服务社", None, None, None, "填报日期：2024年5月1日"],
            HEADER,
            [1, "王允功", "男", ALICE_ID],
            [],
            [],
            [2, "李秀英", "女", BOB_ID],
            [" ", "\u00a0", "\u3000", "  "],
            [3, "张三", "男", "370102197001010011"],
        ],
        title="东利党员服务社党员花名册",
    )

    sheet = read_table(data, COLUMNS)

    assert sheet.header_row == 3
    assert numbers(sheet) == [4, 7, 9]
    assert [row.values["name"] for row in sheet.rows] == ["王允功", "李秀英", "张三"]


def test_rows_are_numbered_as_excel_shows_them_when_the_table_starts_below_and_right():
    rows = [[], [], [None, None, "姓名", "身份证号"], [], [None, None, "王允功", ALICE_ID]]

    for data in (files.xlsx(rows), files.xls(rows)):
        sheet = read_table(data, COLUMNS)

        assert sheet.header_row == 3
        assert sheet.columns == {"name": 2, "id_number": 3}
        assert numbers(sheet) == [5]
        assert values(sheet) == [{"name": "王允功", "id_number": ALICE_ID}]


def test_xls_rows_are_numbered_across_blank_rows():
    data = files.xls([["花名册"], HEADER, [], [1, "王允功", "男", ALICE_ID]])

    sheet = read_table(data, COLUMNS)

    assert sheet.header_row == 2
    assert numbers(sheet) == [4]


def test_csv_rows_are_numbered_as_excel_numbers_them_even_across_a_line_break_in_a_cell():
    data = files.csv_bytes(
        [
            ["东利党员服务社党员花名册"],
            ["姓名", "身份证号", "联系电话"],
            ["王允功", ALICE_ID, "13854601234\n0531-88886666"],
            ["", "", ""],
            ["李秀英", BOB_ID, ""],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert sheet.header_row == 2
    assert numbers(sheet) == [3, 5]
    assert values(sheet)[0]["phone"] == "13854601234\n0531-88886666"


# --- Header -----------------------------------------------------------------------


def test_it_recognises_headers_by_their_aliases_in_any_order():
    data = files.xlsx(
        [
            ["手机号", "公民身份号码", "党员姓名", "出生年月"],
            ["13854601234", ALICE_ID, "王允功", "1950.03"],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert sheet.columns == {"phone": 0, "id_number": 1, "name": 2, "birth_date": 3}
    assert sheet.labels == {
        "phone": "手机号",
        "id_number": "公民身份号码",
        "name": "党员姓名",
        "birth_date": "出生年月",
    }
    assert values(sheet) == [
        {"phone": "13854601234", "id_number": ALICE_ID, "name": "王允功", "birth_date": "1950.03"}
    ]


def test_it_recognises_headers_written_with_spaces_line_breaks_marks_and_hints():
    data = files.xlsx(
        [
            [
                "\u3000姓\u3000名\u3000",
                "*身份证号\n（18位）",
                "出生日期：",
                " 联系电话(手机) ",
                "性　别＊",
            ],
            ["王允功", ALICE_ID, "1950.03", "13854601234", "男"],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert sheet.columns == {
        "name": 0,
        "id_number": 1,
        "birth_date": 2,
        "phone": 3,
        "gender": 4,
    }
    assert sheet.labels["id_number"] == "*身份证号 （18位）"
    assert sheet.labels["name"] == "姓 名"


def test_the_first_of_two_headers_for_the_same_column_wins():
    data = files.xlsx([["姓名", "身份证号", "身份证号码"], ["王允功", ALICE_ID, "旧号码"]])

    sheet = read_table(data, COLUMNS)

    assert sheet.columns == {"name": 0, "id_number": 1}
    assert values(sheet) == [{"name": "王允功", "id_number": ALICE_ID}]


def test_the_row_matching_the_most_columns_is_the_header():
    data = files.xlsx(
        [
            ["说明：", "姓名", "身份证号", "必须填写"],
            HEADER,
            [1, "王允功", "男", ALICE_ID],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert sheet.header_row == 2
    assert numbers(sheet) == [3]


def test_it_skips_a_notes_sheet_before_the_data_sheet():
    notes = {"填表说明": [["填表说明"], ["1. 姓名、身份证号必须填写"], ["2. 日期写成 1950-03-01"]]}
    data = files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID]], sheets=notes)

    sheet = read_table(data, COLUMNS)

    assert sheet.name == "花名册"
    assert values(sheet)[0]["name"] == "王允功"


def test_it_skips_a_chart_sheet_before_the_data_sheet():
    data = files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID]], chart_first=True)

    assert read_table(data, COLUMNS).name == "花名册"


def test_it_refuses_a_header_without_a_required_column():
    error = rejected(files.xlsx([["姓名", "性别", "出生日期"], ["王允功", "男", "1950.03"]]))

    assert error.code == "no_header"
    assert "“姓名”“身份证号”" in error.message


def test_it_only_looks_for_the_header_in_the_first_30_rows():
    data = files.xlsx([*[[f"说明第 {n} 行"] for n in range(30)], HEADER, [1, "王允功"]])

    assert rejected(data).code == "no_header"


def test_without_required_columns_any_two_known_columns_make_a_header():
    columns = [Column("name", "姓名"), Column("gender", "性别"), Column("phone", "联系电话")]
    data = files.xlsx([["联系电话", "姓名"], ["13854601234", "王允功"]])

    assert read_table(data, columns).columns == {"phone": 0, "name": 1}
    with pytest.raises(Rejected) as caught:
        read_table(files.xlsx([["姓名"], ["王允功"]]), columns)
    assert caught.value.message == (
        "没有找到表头：请确认表格前 30 行中有一行列名，"
        "并且至少包含其中两列：“姓名”“性别”“联系电话”。"
    )


def test_it_refuses_a_sheet_of_text_without_a_header():
    error = rejected(files.csv_bytes([["这是一封信"], ["不是花名册"]]))

    assert error.code == "no_header"
    assert error.message == (
        "没有找到表头：请确认表格前 30 行中有一行列名，并且包含“姓名”“身份证号”这几列。"
    )


# --- Data rows --------------------------------------------------------------------


def test_empty_cells_are_none_and_other_cells_keep_their_raw_value():
    data = files.xlsx([HEADER, [None, "王允功", None, ALICE_ID, None, "\u00a0"]])

    assert values(read_table(data, COLUMNS)) == [
        {
            "name": "王允功",
            "gender": None,
            "id_number": ALICE_ID,
            "birth_date": None,
            "phone": "\u00a0",
        }
    ]


def test_a_row_with_values_only_in_unknown_columns_is_dropped():
    data = files.xlsx([HEADER, [1, None, None, None, None, None, "备注"], [2, "王允功"]])

    sheet = read_table(data, COLUMNS)

    assert numbers(sheet) == [3]


def test_footer_rows_are_dropped_and_rows_after_them_kept():
    data = files.xlsx(
        [
            HEADER,
            [1, "王允功", "男", ALICE_ID],
            ["合计", "2 人"],
            [None, "总 计：2"],
            ["小计", None, None, None],
            ["共计 2 人"],
            [2, "李秀英", "女", BOB_ID],
        ]
    )

    sheet = read_table(data, COLUMNS)

    assert numbers(sheet) == [2, 7]


def test_a_member_named_like_a_footer_is_kept_when_the_row_starts_with_a_number():
    data = files.xlsx([HEADER, [1, "合计英", "女", BOB_ID]])

    assert values(read_table(data, COLUMNS))[0]["name"] == "合计英"


def test_the_header_repeated_on_each_printed_page_is_dropped():
    data = files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID], HEADER, [2, "李秀英", "女", BOB_ID]])

    assert numbers(read_table(data, COLUMNS)) == [2, 4]


# --- Refused files ----------------------------------------------------------------


def truncated_xlsx() -> bytes:
    data = files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID]])
    return data[: len(data) // 2]


def broken_xlsx() -> bytes:
    """A whole zip whose sheet XML stops half way."""
    good = files.xlsx([HEADER, [1, "王允功", "男", ALICE_ID]])
    return files.rewrite_zip(good, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(files.pdf_bytes(), id="pdf"),
        pytest.param(files.png_bytes(), id="png"),
        pytest.param(files.random_bytes(), id="random bytes"),
        pytest.param(files.docx_like(), id="docx"),
        pytest.param(truncated_xlsx(), id="truncated xlsx"),
        pytest.param(broken_xlsx(), id="broken xlsx"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024), id="broken xls"),
        pytest.param("姓名,身份证号\n王允功\x01\x02\x03,1\n".encode(), id="text with controls"),
    ],
)
def test_it_refuses_what_is_not_a_spreadsheet(data: bytes):
    error = rejected(data)

    assert error.code == "not_a_spreadsheet"
    assert "不是 Excel 表格（XLSX、XLS）或 CSV 文件" in error.message


def test_it_refuses_an_empty_file():
    assert rejected(b"").code == "empty"


def test_it_refuses_a_workbook_without_cells():
    error = rejected(files.empty_xlsx("第二页"))

    assert error.code == "empty"
    assert error.message == "文件里没有任何内容。"


def test_it_refuses_a_csv_of_blank_lines():
    assert rejected(b"\r\n ,, \r\n\r\n").code == "empty"


def test_it_refuses_a_table_with_only_a_header():
    for data in (
        files.xlsx([HEADER, [], ["  ", "\u3000"], ["合计"]]),
        files.csv_bytes([HEADER]),
    ):
        error = rejected(data)

        assert error.code == "empty"
        assert error.message == "表格只有表头，没有数据。"


def test_it_refuses_a_file_over_the_given_limit():
    data = files.csv_bytes([HEADER, [1, "王允功", "男", ALICE_ID]])

    error = rejected(data, max_bytes=len(data) - 1)

    assert error.code == "too_large"
    assert "上限" in error.message
    assert read_table(data, COLUMNS, max_bytes=len(data)).rows


def test_the_limit_comes_from_settings_when_not_given(settings: Any):
    settings.FUWUSHE_IMPORT_MAX_BYTES = 2 * 1024
    rows = [[n, "王允功", "男", ALICE_ID] for n in range(100)]

    error = rejected(files.csv_bytes([HEADER, *rows]))

    assert error.code == "too_large"
    assert error.message == "文件超过 2 KB 的上限，请分成几个文件导入。"


def test_it_refuses_at_once_a_workbook_that_declares_gigabytes_inside():
    bomb = files.declared_bomb(padding=10 * MB, members=3, declared=0xF000_0000)

    started = time.perf_counter()
    error = rejected(bomb)

    assert time.perf_counter() - started < 1
    assert error.code == "too_large"
    assert error.message == "文件解压后过大，疑似恶意构造的压缩文件，已拒绝。"


@pytest.fixture(scope="module")
def zeros_bomb() -> bytes:
    return files.zeros_bomb(300 * MB)


def test_it_refuses_at_once_a_workbook_that_unpacks_to_300_mb_of_zeros(zeros_bomb: bytes):
    assert len(zeros_bomb) < MB

    started = time.perf_counter()
    error = rejected(zeros_bomb)

    assert time.perf_counter() - started < 1
    assert error.code == "too_large"
