"""Turn raw spreadsheet cells into clean values, or say in Chinese what is wrong with them.

Each parser takes one cell as read_table hands it over (str, int, float, bool, date,
datetime, time or None) and returns a value or raises CellError. They undo what Excel
and hand-typing do to a value; rules about what a valid value is (ID checksums, phone
formats, plausible dates) belong to the app that stores it.
"""

import datetime
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError

# Full-width ASCII (Ｕ+FF01–FF5E) becomes ASCII, except the punctuation Chinese text
# writes full-width on purpose. Zero-width characters pasted from web pages go.
CHINESE_PUNCTUATION = "！（），：；？"
HALF_WIDTH = str.maketrans(
    {
        **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in CHINESE_PUNCTUATION},
        **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff")),
    }
)
SPACE_RUNS = re.compile(r"\s+")  # in Python this includes \u00a0 and \u3000
SCIENTIFIC = re.compile(r"\d+(\.\d*)?E[+-]?\d+", re.IGNORECASE)
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number

TEXT_DATES = [
    re.compile(r"(?P<year>\d{4})(?P<sep>[.\-/])(?P<month>\d{1,2})(?:(?P=sep)(?P<day>\d{1,2}))?"),
    re.compile(r"(?P<year>\d{4})年(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号])?"),
    re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})?"),
]
TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
# Numbers that are a year (1950), a year and month (195003) or a date (19500301).
YEARS = range(1900, 2101)
YEAR_MONTHS = range(190001, 210013)
YEAR_MONTH_DAYS = range(19000101, 21001232)
# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is 1900-02-29, a day
# that never was (kept for Lotus 1-2-3); from serial 61 on, days count from 1899-12-30.
BEFORE_SERIAL_1 = datetime.date(1899, 12, 31)
BEFORE_SERIAL_61 = datetime.date(1899, 12, 30)
LEAP_YEAR_BUG = 60
LAST_SERIAL = 2958465  # 9999-12-31

TRUE_WORDS = frozenset({"是", "√", "✓", "✔", "y", "yes", "1", "true"})
FALSE_WORDS = frozenset({"否", "×", "✗", "✘", "n", "no", "0", "false", ""})
NO_ALIASES: Mapping[str, str] = MappingProxyType({})
# Distinct cells of one column remembered with what they parse to (`memoized`): a roster
# repeats its categories, flags, ethnicities and buildings thousands of times.
MEMO_CELLS = 5000


class CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def text(value: object) -> str:
    """The cell as one line of text, full-width letters and digits made ASCII."""
    if value is None:
        return ""
    if type(value) is str and value.isprintable() and "  " not in value:
        # Most cells: no line breaks, tabs or runs of spaces to collapse (a fast path,
        # as an import reads about a million cells).
        return value.translate(HALF_WIDTH).strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()
    return SPACE_RUNS.sub(" ", str(value).translate(HALF_WIDTH)).strip()


def id_text(value: object) -> str:
    """The ID number as typed, or CellError when Excel has damaged it.

    A numeric cell longer than 15 digits has lost its last digits (Excel keeps 15), as has
    text in scientific notation; neither is guessed back. A numeric cell of up to 15
    digits lost nothing and is returned as its digits. The checksum is not checked here.
    """
    if isinstance(value, bool):
        raise CellError("bad_id_format", f"身份证号“{text(value)}”不是身份证号。")
    if isinstance(value, int | float):
        return _id_from_number(value)
    if value is not None and not isinstance(value, str):
        raise CellError("bad_id_format", f"身份证号“{text(value)}”不是身份证号。")
    written = SPACE_RUNS.sub("", text(value)).removeprefix("'").upper()
    if SCIENTIFIC.fullmatch(written):
        raise CellError(
            "bad_id_format",
            f"身份证号是科学计数法（{written}），已丢失末几位，请把该列设为文本后重新填写。",
        )
    return written


def phone_text(value: object) -> str:
    """The phone number as text: a number cell loses its ".0", full-width digits become ASCII.

    Separators (spaces, dashes, brackets) are kept: the members app validates and
    normalises phone numbers.
    """
    return text(value)


def date_value(value: object) -> datetime.date | None:
    """A date from a date cell, an Excel serial number or text such as 1950.03 or 1950年3月1日.

    Forms with only a year and month give the 1st of that month. Text is read exactly:
    "1950.1" is January and "1950.10" October. A number cell is where Excel has eaten
    digits, so it is read as follows:
    - 1900–2100 is a year alone, not a date: refused.
    - 190001–210012 is YYYYMM and 19000101–21001231 is YYYYMMDD.
    - a fraction after a year 1900–2100 is a month someone typed as a number: 1950.03 is
      March and 1950.12 December; 1950.3 can only be March (there is no month 30). But
      1950.1 is refused: Excel stores 1950.10 as 1950.1, so it may be January or October.
    - anything else from 1 to 2958465 is an Excel serial number (1900 date system).
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _date_from_number(value)
    if value is not None and not isinstance(value, str):
        raise _bad_date(text(value))
    written = text(value)
    return _date_from_text(written) if written else None


def month_only(value: object) -> bool:
    """Whether a date cell gave only a year and a month (出生年月: 1952.07, 1952年7月, 195207)."""
    if isinstance(value, bool | datetime.date):
        return False
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return int(value) in YEARS
        return int(value) in YEAR_MONTHS
    compact = SPACE_RUNS.sub("", TIME_OF_DAY.sub("", text(value))).replace("。", ".")
    for pattern in TEXT_DATES:
        match = pattern.fullmatch(compact)
        if match:
            return not match["day"]
    return False


def choice(
    value: object, choices: Mapping[str, str], aliases: Mapping[str, str] = NO_ALIASES
) -> str:
    """The stored value for a label: choices map stored value → label, aliases wording → value.

    `dict(SomeModel.Field.choices)` is a ready `choices`. An empty cell gives "".
    """
    return chooser(choices, aliases)(value)


def chooser(
    choices: Mapping[str, str], aliases: Mapping[str, str] = NO_ALIASES
) -> Callable[[object], str]:
    """`choice` for one column, with the wordings prepared once (importers call it per row)."""
    lookup = {_choice_key(wording): stored for wording, stored in aliases.items()}
    lookup.update({_choice_key(label): stored for stored, label in choices.items()})
    offered = "、".join(choices.values())

    def parse(value: object) -> str:
        written = text(value)
        if not written:
            return ""
        stored = lookup.get(_choice_key(written))
        if stored is None:
            raise CellError("bad_choice", f"“{written}”不是可选的值，可选：{offered}。")
        return stored

    return parse


def flag(value: object) -> bool:
    """Yes or no: 是/否, √/×, Y/N, 1/0, TRUE/FALSE; an empty cell is no."""
    if isinstance(value, bool):
        return value
    written = text(value)
    if written.casefold() in TRUE_WORDS:
        return True
    if written.casefold() in FALSE_WORDS:
        return False
    raise CellError("bad_choice", f"“{written}”不是可选的值，可选：是、否。")


def memoized(parse: Callable[[object], Any]) -> Callable[[object], Any]:
    """A column's parser, remembering its answer (or refusal, as a CellError) for each
    distinct text cell, up to MEMO_CELLS of them. Only for parsers whose answer depends
    on the cell alone. Only text and blank cells are remembered: a number cell is cheap to
    parse, and True == 1 would make them one key. A ValidationError becomes a CellError."""
    memo: dict[object, tuple[bool, Any]] = {}

    def parse_cell(value: object) -> Any:
        if value is not None and type(value) is not str:
            return _as_cell_error(parse, value)
        try:
            ok, answer = memo[value]
        except KeyError:
            try:
                ok, answer = True, _as_cell_error(parse, value)
            except CellError as exc:
                ok, answer = False, (exc.code, exc.message)
            if len(memo) < MEMO_CELLS:
                memo[value] = (ok, answer)
        if ok:
            return answer
        raise CellError(*answer)

    return parse_cell


def _as_cell_error(parse: Callable[[object], Any], value: object) -> Any:
    try:
        return parse(value)
    except ValidationError as exc:
        raise CellError(exc.code or "invalid", " ".join(exc.messages)) from None


# --- ID numbers -------------------------------------------------------------------


def _id_from_number(number: int | float) -> str:
    if isinstance(number, float) and not number.is_integer():
        raise CellError(
            "bad_id_format",
            f"身份证号被 Excel 存成了数字（{text(number)}），请把该列设为文本后重新填写。",
        )
    digits = str(abs(int(number)))
    if len(digits) > EXCEL_DIGITS:
        raise CellError(
            "bad_id_format",
            f"身份证号被 Excel 存成了数字（{_as_excel_shows(number)}），已丢失末几位，"
            "请把该列设为文本后重新填写。",
        )
    return digits


def _as_excel_shows(number: int | float) -> str:
    """A long number as Excel's General format shows it: 3.70102E+17."""
    mantissa, exponent = f"{number:.5E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


# --- Dates ------------------------------------------------------------------------


def _date_from_number(number: int | float) -> datetime.date:
    shown = text(number)
    if isinstance(number, float) and not number.is_integer():
        if int(number) in YEARS:
            return _year_dot_month(number, shown)
        return _from_serial(int(number), shown)
    whole = int(number)
    if whole in YEARS:
        raise CellError("bad_date", f"“{shown}”只有年份，请写出年月日，例如 1950-03-01。")
    if whole in YEAR_MONTHS or whole in YEAR_MONTH_DAYS:
        return _date_from_text(shown)
    return _from_serial(whole, shown)


def _year_dot_month(number: float, shown: str) -> datetime.date:
    hundredths = round(number * 100)
    if abs(number * 100 - hundredths) > 1e-6:
        raise _bad_date(shown)
    year, month = divmod(hundredths, 100)
    if month == 10:
        raise CellError(
            "bad_date",
            f"日期“{shown}”分不清是 1 月还是 10 月（Excel 把数字 {year}.10 存成了 {year}.1），"
            f"请把该列设为文本后写成 {year}-01 或 {year}-10。",
        )
    if month % 10 == 0:
        month //= 10  # 1950.3 was typed as 1950.3, since 1950.30 is no month
    return _make_date(year, month, 1, shown)


def _from_serial(serial: int, shown: str) -> datetime.date:
    if serial < 1 or serial > LAST_SERIAL or serial == LEAP_YEAR_BUG:
        raise _bad_date(shown)
    before = BEFORE_SERIAL_1 if serial < LEAP_YEAR_BUG else BEFORE_SERIAL_61
    return before + datetime.timedelta(days=serial)


def _date_from_text(written: str) -> datetime.date:
    # "。" is the full stop a Chinese input method types for "."
    compact = SPACE_RUNS.sub("", TIME_OF_DAY.sub("", written)).replace("。", ".")
    for pattern in TEXT_DATES:
        match = pattern.fullmatch(compact)
        if match:
            day = int(match["day"]) if match["day"] else 1
            return _make_date(int(match["year"]), int(match["month"]), day, written)
    raise _bad_date(written)


def _make_date(year: int, month: int, day: int, shown: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise _bad_date(shown) from None


def _bad_date(shown: str) -> CellError:
    return CellError(
        "bad_date",
        f"无法识别的日期“{shown}”，请写成 1950-03-01 或 1950年3月1日（只知道年月时写 1950-03）。",
    )


def _choice_key(wording: str) -> str:
    return SPACE_RUNS.sub("", text(wording)).casefold()
