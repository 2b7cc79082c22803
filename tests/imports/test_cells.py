import datetime

import pytest

from fuwushe.imports.cells import (
    CellError,
    choice,
    date_value,
    flag,
    id_text,
    phone_text,
    text,
)

D = datetime.date


def error_of(parse, *args) -> CellError:
    with pytest.raises(CellError) as caught:
        parse(*args)
    return caught.value


# --- text and name ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  王允功  ", "王允功"),
        ("\u00a0\u3000东利社区\u3000\u00a0", "东利社区"),
        ("济南市  \u3000 历下区\n东关街道", "济南市 历下区 东关街道"),
        (12.0, "12"),
        (12, "12"),
        (12.5, "12.5"),
        (3.70102e17, "370102000000000000"),
        ("ＡＢＣ１２３－４", "ABC123-4"),
        ("山东省（济南），历下区：东关；对吗？好！", "山东省（济南），历下区：东关；对吗？好！"),
        ("王\u200b允功\ufeff", "王允功"),
        (D(1950, 3, 1), "1950-03-01"),
        (datetime.datetime(1950, 3, 1), "1950-03-01"),
        (datetime.datetime(1950, 3, 1, 8, 30), "1950-03-01 08:30:00"),
    ],
)
def test_text_is_one_clean_line(value, expected):
    assert text(value) == expected


# --- ID numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("370102195003011234", "370102195003011234"),
        ("37010219620715002x", "37010219620715002X"),
        ("37010219620715002X", "37010219620715002X"),
        ("３７０１０２１９５００３０１１２３４", "370102195003011234"),
        ("37010219620715002ｘ", "37010219620715002X"),
        (" 370102 19500301 1234\u00a0", "370102195003011234"),
        ("'370102195003011234", "370102195003011234"),
        ("370102195003011000", "370102195003011000"),
        (370102500301123, "370102500301123"),
        (370102500301123.0, "370102500301123"),
        (None, ""),
        ("", ""),
    ],
)
def test_an_id_number_is_undone_from_its_formatting(value, expected):
    assert id_text(value) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (3.70102195003011e17, "3.70102E+17"),
        (370102195003011000.0, "3.70102E+17"),
        (370102195003011000, "3.70102E+17"),
        (3.7e17, "3.7E+17"),
    ],
)
def test_an_id_number_excel_stored_as_a_long_number_is_refused(value, shown):
    error = error_of(id_text, value)

    assert error.code == "bad_id_format"
    assert error.message == (
        f"身份证号被 Excel 存成了数字（{shown}），已丢失末几位，请把该列设为文本后重新填写。"
    )


@pytest.mark.parametrize("value", ["3.70102E+17", "3.70102e17", "3.70102E17", "３.70102Ｅ+17"])
def test_an_id_number_in_scientific_notation_is_refused(value):
    error = error_of(id_text, value)

    assert error.code == "bad_id_format"
    assert error.message.startswith("身份证号是科学计数法（3.70102E")
    assert "已丢失末几位" in error.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12.5, "身份证号被 Excel 存成了数字（12.5），请把该列设为文本后重新填写。"),
        (True, "身份证号“True”不是身份证号。"),
        (D(1950, 3, 1), "身份证号“1950-03-01”不是身份证号。"),
    ],
)
def test_an_id_number_that_is_no_text_is_refused(value, message):
    error = error_of(id_text, value)

    assert error.code == "bad_id_format"
    assert error.message == message


def test_an_id_number_checksum_is_left_to_the_members_app():
    assert id_text("370102195003011235") == "370102195003011235"


# --- Phone numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13854601234.0, "13854601234"),
        (13854601234, "13854601234"),
        ("１３８５４６０１２３４", "13854601234"),
        (" 0531－88886666 ", "0531-88886666"),
        ("138 5460 1234", "138 5460 1234"),
        (None, ""),
    ],
)
def test_a_phone_number_loses_float_and_full_width_artefacts_only(value, expected):
    assert phone_text(value) == expected


# --- Dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1950.03", D(1950, 3, 1)),
        ("1950.3", D(1950, 3, 1)),
        ("1950.1", D(1950, 1, 1)),
        ("1950.10", D(1950, 10, 1)),
        ("1950.3.1", D(1950, 3, 1)),
        ("1950。3。1", D(1950, 3, 1)),
        ("1950.03.01", D(1950, 3, 1)),
        ("1950年3月", D(1950, 3, 1)),
        ("1950年3月1日", D(1950, 3, 1)),
        ("1950年03月15日", D(1950, 3, 15)),
        ("1950 年 3 月 1 日", D(1950, 3, 1)),
        ("1950年3月1号", D(1950, 3, 1)),
        ("1950-3-1", D(1950, 3, 1)),
        ("1950-03", D(1950, 3, 1)),
        ("1950-03-01 00:00:00", D(1950, 3, 1)),
        ("1950/03/01", D(1950, 3, 1)),
        ("1950/3", D(1950, 3, 1)),
        ("19500301", D(1950, 3, 1)),
        ("195003", D(1950, 3, 1)),
        ("  1950.03  ", D(1950, 3, 1)),
        ("\u3000１９５０．０３．０１\u00a0", D(1950, 3, 1)),
        ("１９５０年３月", D(1950, 3, 1)),
        ("2000-02-29", D(2000, 2, 29)),
    ],
)
def test_a_date_is_read_from_each_written_form(value, expected):
    assert date_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(1950, 3, 1), D(1950, 3, 1)),
        (datetime.datetime(1950, 3, 1, 8, 30), D(1950, 3, 1)),
        (None, None),
        ("", None),
        (" \u3000\u00a0", None),
    ],
)
def test_a_date_cell_is_taken_as_it_is_and_an_empty_cell_is_no_date(value, expected):
    assert date_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, D(1900, 1, 1)),
        (59, D(1900, 2, 28)),
        (61, D(1900, 3, 1)),
        (18323, D(1950, 3, 1)),
        (18323.0, D(1950, 3, 1)),
        (18323.75, D(1950, 3, 1)),
        (45658, D(2025, 1, 1)),
        (2958465, D(9999, 12, 31)),
    ],
)
def test_an_excel_serial_number_is_a_date_in_the_1900_system(value, expected):
    assert date_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1950.03, D(1950, 3, 1)),
        (1950.01, D(1950, 1, 1)),
        (1950.09, D(1950, 9, 1)),
        (1950.11, D(1950, 11, 1)),
        (1950.12, D(1950, 12, 1)),
        (1950.3, D(1950, 3, 1)),
        (1950.9, D(1950, 9, 1)),
        (195003, D(1950, 3, 1)),
        (195003.0, D(1950, 3, 1)),
        (19500301, D(1950, 3, 1)),
        (19500301.0, D(1950, 3, 1)),
    ],
)
def test_a_year_and_month_typed_as_a_number_is_read(value, expected):
    assert date_value(value) == expected


def test_a_year_and_month_typed_as_the_number_1950_1_is_refused_as_january_or_october():
    error = error_of(date_value, 1950.1)

    assert error.code == "bad_date"
    assert error.message == (
        "日期“1950.1”分不清是 1 月还是 10 月（Excel 把数字 1950.10 存成了 1950.1），"
        "请把该列设为文本后写成 1950-01 或 1950-10。"
    )


def test_a_year_alone_is_refused():
    error = error_of(date_value, 1950)

    assert error.code == "bad_date"
    assert error.message == "“1950”只有年份，请写出年月日，例如 1950-03-01。"


@pytest.mark.parametrize(
    "value",
    [
        "1950.13",
        "1950-02-30",
        "1950-00",
        "1950.3-1",
        "50.3.1",
        "1950",
        "1950年",
        "19501301",
        "195013",
        "三月",
        "不详",
        "1950-03-01 下午",
        60,
        0,
        -5,
        2958466,
        195013,
        19501301,
        1950.13,
        1950.25,
        1950.031,
        True,
        datetime.time(8, 30),
    ],
)
def test_an_unknown_or_impossible_date_is_refused(value):
    error = error_of(date_value, value)

    assert error.code == "bad_date"
    assert error.message == (
        f"无法识别的日期“{text(value)}”，"
        "请写成 1950-03-01 或 1950年3月1日（只知道年月时写 1950-03）。"
    )


# --- Choices and flags ------------------------------------------------------------

GENDERS = {"male": "男", "female": "女"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("男", "male"), (" 女 ", "female"), ("男性", "male"), ("女　性", "female"), (None, "")],
)
def test_a_choice_maps_a_label_or_an_alias_to_its_stored_value(value, expected):
    assert choice(value, GENDERS, {"男性": "male", "女性": "female"}) == expected


def test_an_unknown_choice_is_refused_naming_the_choices():
    error = error_of(choice, "未知", GENDERS)

    assert error.code == "bad_choice"
    assert error.message == "“未知”不是可选的值，可选：男、女。"


def test_a_stored_value_is_not_a_label():
    assert error_of(choice, "male", GENDERS).code == "bad_choice"


@pytest.mark.parametrize(
    "value", ["是", "√", "✓", "✔", "Y", "y", "yes", "1", 1, 1.0, "TRUE", "true", True]
)
def test_a_flag_reads_yes(value):
    assert flag(value) is True


@pytest.mark.parametrize(
    "value", ["否", "×", "✗", "N", "n", "No", "0", 0, 0.0, "FALSE", False, None, "", " "]
)
def test_a_flag_reads_no(value):
    assert flag(value) is False


@pytest.mark.parametrize("value", ["有", "x", "2", "是的"])
def test_an_unknown_flag_is_refused(value):
    error = error_of(flag, value)

    assert error.code == "bad_choice"
    assert error.message == f"“{value}”不是可选的值，可选：是、否。"
