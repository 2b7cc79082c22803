"""The rules for who a person is: resident ID numbers, phones and names.

ID numbers follow GB 11643-1999, checked with python-stdnum's `cn.ric`. Not with
`ric.validate` as a whole, though: it also requires the region code to have existed in
the person's birth year, while the code is that of the place of first registration
(from 1985). An elder born in 1945 and registered in 东营区 (created 1983) holds a
valid 370502… number that `validate` refuses, so we check the parts ourselves.
"""

import functools
import re
import unicodedata
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError

# Loaded with the module (0.4 s, its phrase dictionary), not at a first save or import.
from pypinyin import Style, lazy_pinyin
from stdnum import numdb
from stdnum.cn import ric

ID_LENGTH = 18
OLD_ID_LENGTH = 15
# Characters people put between digits, and the spaces Excel and web pages bring in.
SPACES = " \u00a0\u3000\t\r\n"
_NO_SPACES = str.maketrans(dict.fromkeys(SPACES))
# Digits are ASCII digits: Python's \d and str.isdigit() also take ٨ or ८, which NFKC
# leaves as they are (it only turns full-width digits into ASCII).
DIGITS = "0123456789"
_SEPARATORS = re.compile(r"[\s\u00a0\u3000\-－—–()（）]")
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# An area code and the local number: 010 and 02x with 8 digits, the other (four-digit)
# area codes with 7 or 8.
LANDLINE = re.compile(r"^(?:0[12][0-9]{9}|0[3-9][0-9]{9,10})$")
# Zero-width characters that Excel and web pages bring in beside a name: invisible and
# meaningless in a Chinese name, so dropped like spaces (direction controls are refused).
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_NO_ZERO_WIDTH = str.maketrans(dict.fromkeys(ZERO_WIDTH))
# The separator in minority names (阿依古丽·买买提), however it was typed.
NAME_DOT = "·"
_NAME_DOTS = str.maketrans(dict.fromkeys("•・･‧∙⋅.", NAME_DOT))
# Control, format (direction overrides among them), surrogate and line/paragraph
# separator characters: nothing a person types into a name or an address.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Private-use and unassigned code points: no standard character.
_NONSTANDARD_CATEGORIES = frozenset({"Co", "Cn"})
# Planes 2 and 3 hold only CJK ideographs: a rare character of a name added there by a
# Unicode version newer than this Python's is still a character, not an unassigned one.
_IDEOGRAPH_PLANES = range(0x20000, 0x40000)


class Gender:
    MALE = "male"
    FEMALE = "female"


def clean_name(value: str, label: str = "姓名") -> str:
    """A person's name: spaces and zero-width characters out, one kind of middle dot.

    Refused, naming the field: a name with invisible, control (direction overrides among
    them) or non-standard characters, and one without a letter (Chinese characters, or
    Latin letters for a foreign name).
    """
    typed = unicodedata.normalize("NFKC", value).translate(_NO_ZERO_WIDTH)
    name = typed.translate(_NO_SPACES).translate(_NAME_DOTS)
    if not name:
        if value.strip(SPACES):
            raise _hidden_error(label)  # nothing but zero-width characters
        raise ValidationError("请填写%(field)s。", code="missing_required", params={"field": label})
    check_visible(name, label)
    if not any(_is_letter(ch) for ch in name):
        raise ValidationError(
            "%(field)s“%(value)s”中没有文字，请填写本人的姓名。",
            code="bad_name",
            params={"field": label, "value": name},
        )
    return name


def _is_letter(ch: str) -> bool:
    # 〇 (as in 王〇) is a number-letter.
    return unicodedata.category(ch)[0] == "L" or ch == "〇" or ord(ch) in _IDEOGRAPH_PLANES


def check_visible(value: str, label: str) -> None:
    """Refuse text holding control or invisible characters (direction overrides, NUL,
    private-use code points): what is stored must read as it is shown."""
    for ch in value:
        category = unicodedata.category(ch)
        if category in _HIDDEN_CATEGORIES:
            raise _hidden_error(label)
        if category in _NONSTANDARD_CATEGORIES and ord(ch) not in _IDEOGRAPH_PLANES:
            raise ValidationError(
                "%(field)s中有系统不认识的字符（U+%(code)04X，可能是自造字或乱码），"
                "请改用规范汉字后重新填写。",
                code="bad_characters",
                params={"field": label, "code": ord(ch)},
            )


def _hidden_error(label: str) -> ValidationError:
    return ValidationError(
        "%(field)s含有不可见字符或控制字符（常见于从网页或 Excel 复制的内容），请删除后重新输入。",
        code="hidden_characters",
        params={"field": label},
    )


def ascii_digits(text: str) -> bool:
    """Whether `text` is one or more of the digits 0–9 (and no other script's digits)."""
    # isdigit() alone also takes ² and other scripts' digits; isascii() leaves 0–9.
    return text.isascii() and text.isdigit()


def compact_id_number(value: str) -> str:
    """Full-width digits to ASCII, spaces and zero-width characters out, a trailing x
    upper-cased."""
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_NO_ZERO_WIDTH)
    return text.translate(_NO_SPACES).upper()


def validate_id_number(value: str) -> str:
    """The normalised 18-character ID number, or a ValidationError saying what is wrong.

    Codes: bad_id_format (length, characters, Excel damage, 15-digit), bad_id_checksum,
    bad_id_date (no such birth date).
    """
    number = compact_id_number(value)
    if _SCIENTIFIC.match(number):
        raise ValidationError(
            "身份证号“%(value)s”被 Excel 存成了数字，末几位已经丢失，无法还原。"
            "请把该列设为文本格式，重新填写完整的 18 位号码。",
            code="bad_id_format",
            params={"value": value},
        )
    if len(number) == OLD_ID_LENGTH and ascii_digits(number):
        raise ValidationError(
            "“%(value)s”是 15 位旧身份证号，须换成 18 位号码再登记"
            "（录入页面可勾选“转换 15 位旧号码”，转换后请核对）。",
            code="bad_id_format",
            params={"value": value},
        )
    if len(number) != ID_LENGTH or not ascii_digits(number[:-1]) or number[-1] not in DIGITS + "X":
        raise ValidationError(
            "身份证号“%(value)s”格式不对：应为 18 位，前 17 位是数字，最后一位是数字或 X。",
            code="bad_id_format",
            params={"value": value},
        )
    if not _known_province(number):
        raise ValidationError(
            "身份证号“%(value)s”的前两位不是有效的省份代码。",
            code="bad_id_format",
            params={"value": value},
        )
    try:
        birth = id_birth_date(number)
    except ValueError:
        birth = None
    if birth is None or birth > date.today() or birth.year < 1900:
        raise ValidationError(
            "身份证号“%(value)s”中的出生日期（第 7–14 位）不是真实的日期。",
            code="bad_id_date",
            params={"value": value},
        )
    if number[-1] != ric.calc_check_digit(number):
        if number.endswith("000"):
            # 15-significant-digit Excel damage: the tail was zeroed, the checksum fails.
            raise ValidationError(
                "身份证号“%(value)s”末尾被 Excel 改成了 0（超过 15 位的数字会丢失精度），"
                "无法还原。请把该列设为文本格式，重新填写完整号码。",
                code="bad_id_format",
                params={"value": value},
            )
        raise ValidationError(
            "身份证号“%(value)s”的校验位（最后一位）不对，请核对是否抄错。",
            code="bad_id_checksum",
            params={"value": value},
        )
    return number


def _known_province(number: str) -> bool:
    return _is_province_code(number[:6])


@functools.lru_cache(maxsize=4096)
def _is_province_code(region: str) -> bool:
    # A few hundred region codes cover a whole roster: looked up once each.
    return any("province" in props for _part, props in numdb.get("cn/loc").info(region))


def convert_old_id_number(value: str) -> str:
    """Turn a 15-digit ID number (issued before 1999) into its 18-character form."""
    number = compact_id_number(value)
    if len(number) != OLD_ID_LENGTH or not ascii_digits(number):
        raise ValidationError("只有 15 位纯数字的旧身份证号才能转换。", code="bad_id_format")
    body = f"{number[:6]}19{number[6:]}"
    return validate_id_number(body + ric.calc_check_digit(body + "0"))


def id_birth_date(number: str) -> date:
    """Characters 7–14 (YYYYMMDD); ValueError when they are no real date. (Sliced here:
    stdnum's get_birth_date re-cleans the number first, which costs more than the rest
    of the check on a 40,000-row import.)"""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_gender(number: str) -> str:
    """The 17th character is odd for men and even for women."""
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def check_id_agrees(number: str, *, birth_date: date | None, gender: str | None) -> None:
    """A birth date or gender typed beside the ID number must be the one it encodes."""
    errors = {}
    if birth_date is not None and birth_date != id_birth_date(number):
        errors["birth_date"] = ValidationError(
            "出生日期 %(typed)s 与身份证号中的 %(encoded)s 不一致。",
            code="id_birth_mismatch",
            params={"typed": birth_date.isoformat(), "encoded": id_birth_date(number).isoformat()},
        )
    if gender and gender != id_gender(number):
        errors["gender"] = ValidationError(
            "性别与身份证号不一致（第 17 位单数为男，双数为女）。", code="id_gender_mismatch"
        )
    if errors:
        raise ValidationError(errors)


# Joining the party: at 18 at the earliest (14 covers dates written loosely), never later
# than today.
PARTY_JOINING_AGE = 14
PARTY_DATE_RULE = "入党时间不对：不能晚于今天，也不能早于本人 14 岁。"


def plausible_party_date(joined: date, number: str) -> bool:
    born = id_birth_date(number)
    earliest = born.replace(year=born.year + PARTY_JOINING_AGE, day=min(born.day, 28))
    return earliest <= joined <= date.today()


# What separates two numbers written in one cell (spaces do not: "0546 8123456" is one).
PHONE_SEPARATORS = re.compile(r"[/、，,；;]|或")
# A local landline number as dialled inside its city: 7 or 8 digits, never starting 0 or 1.
LOCAL_NUMBER = re.compile(r"^[2-9][0-9]{6,7}$")
# An extension after a landline: 0546-8123456转123 (转 is how ledgers write it).
EXTENSION = re.compile(r"(?:转|分机)\s*([0-9]{1,6})$")
PHONE_RULE = "电话“%(value)s”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"


class Phone(NamedTuple):
    """One number read from what was typed; `area_code_assumed` when the area code was the
    city's, added to a local number written without one."""

    number: str
    area_code_assumed: bool = False


def normalise_phone(value: str, area_code: str = "") -> str:
    """A mobile (11 digits) or a landline with its area code ("0546-8123456"); "" stays "".

    Full-width digits, spaces, dashes and brackets are accepted as typed; a leading +86
    or 86 on a mobile is dropped; a landline keeps its extension (0546-8123456转123).
    A local number of 7 or 8 digits takes `area_code` (the city's) when one is given.
    """
    return read_phone(value, area_code).number


def read_phone(value: str, area_code: str = "") -> Phone:
    """`normalise_phone`, saying whether the area code was assumed."""
    return _read_phone(_phone_text(value), value, area_code)


def _read_phone(text: str, value: str, area_code: str) -> Phone:
    """`read_phone` of the prepared `text` (`value` as typed, for the message)."""
    if not text:
        return Phone("")
    extension = ""
    found = EXTENSION.search(text) if "转" in text or "分机" in text else None
    if found:
        extension, text = f"转{found[1]}", text[: found.start()]
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if MOBILE.match(digits) and not extension:
        return Phone(digits)
    if LANDLINE.match(digits):
        area = 3 if digits[1] in "12" else 4  # 010, 02x are three digits; others four
        return Phone(f"{digits[:area]}-{digits[area:]}{extension}")
    if area_code and LOCAL_NUMBER.match(digits):
        return Phone(f"{area_code}-{digits}{extension}", area_code_assumed=True)
    raise ValidationError(PHONE_RULE, code="bad_phone", params={"value": value})


def read_phones(value: str, area_code: str = "") -> list[Phone]:
    """Every number in what was typed in one field: numbers split by a separator (/ 、 ，
    ； 或) or written side by side as two whole numbers ("13812345678 0546-8123456");
    spaces inside one number ("138 1234 5678") keep it one. [] for a blank."""
    text = _phone_text(value)
    if not text:
        return []
    phones: list[Phone] = []
    for part in PHONE_SEPARATORS.split(text):
        part = part.strip(SPACES)
        if part:
            phones += _one_or_two(part, area_code)
    return phones


def _one_or_two(part: str, area_code: str) -> list[Phone]:
    try:
        return [_read_phone(part, part, area_code)]
    except ValidationError:
        groups = part.split()
        for cut in range(1, len(groups)):
            try:
                first = read_phone(" ".join(groups[:cut]), area_code)
                second = read_phone(" ".join(groups[cut:]), area_code)
            except ValidationError:
                continue
            return [first, second]
        raise


def _phone_text(value: str) -> str:
    text = str(value)
    if not text.isascii():  # full-width digits, zero-width characters
        text = unicodedata.normalize("NFKC", text).translate(_NO_ZERO_WIDTH)
    text = text.strip(SPACES)
    if text.endswith(".0") and text[:-2].isdigit() and text.isascii():
        text = text[:-2]  # a phone stored as a number in Excel
    return text


# --- Gender -------------------------------------------------------------------------

# How ledgers write a gender (GB/T 2261.1 codes 1 and 2 among them), compared lower-case.
GENDER_WORDS = {
    **dict.fromkeys(("男", "男性", "m", "male", "1"), Gender.MALE),
    **dict.fromkeys(("女", "女性", "f", "female", "2"), Gender.FEMALE),
}
GENDER_RULE = "性别“%(value)s”无法识别，请写男或女（也可写男性/女性、M/F、1/2），不填则按身份证号。"


def parse_gender(value: str) -> str:
    """The stored gender for what was typed; "" for a blank (the ID number tells)."""
    text = "".join(unicodedata.normalize("NFKC", str(value)).split()).casefold()
    if not text:
        return ""
    if text in ("1.0", "2.0"):
        text = text[:-2]  # from a number cell
    gender = GENDER_WORDS.get(text)
    if gender is None:
        raise ValidationError(GENDER_RULE, code="bad_choice", params={"value": value})
    return gender


@functools.lru_cache(maxsize=65536)
def pinyin_columns(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower-case, for prefix search (王允功 → wangyungong, wyg).

    The surname is read as a surname (单秀梅 → shanxiumei, sxm), a compound one first
    (尉迟恭 → yuchigong); the given name keeps pypinyin's reading.
    """
    surname, given = _surname_reading(name)
    syllables = [*surname, *lazy_pinyin(given, style=Style.NORMAL, errors="ignore")]
    syllables = [s.lower() for s in syllables]
    return "".join(syllables), "".join(s[:1] for s in syllables)


def _surname_reading(name: str) -> tuple[tuple[str, ...], str]:
    """The surname's syllables and the rest of the name; no syllables when the name does
    not start with a known surname (pypinyin reads it all then)."""
    from members.surnames import READINGS

    for length in (2, 1):
        reading = READINGS.get(name[:length]) if len(name) >= length else None
        if reading:
            return reading, name[length:]
    return (), name
