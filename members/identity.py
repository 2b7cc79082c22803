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

from django.core.exceptions import ValidationError
from stdnum import numdb
from stdnum.cn import ric

ID_LENGTH = 18
OLD_ID_LENGTH = 15
# Characters people put between digits, and the spaces Excel and web pages bring in.
SPACES = " \u00a0\u3000\t\r\n"
_SEPARATORS = re.compile(r"[\s\u00a0\u3000\-－—–()（）]")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
# An area code and the local number: 010 and 02x with 8 digits, the other (four-digit)
# area codes with 7 or 8.
LANDLINE = re.compile(r"^(?:0[12]\d{9}|0[3-9]\d{9,10})$")


class Gender:
    MALE = "male"
    FEMALE = "female"


def clean_name(value: str) -> str:
    """Drop ordinary, non-breaking and full-width spaces anywhere in a Chinese name."""
    name = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch not in SPACES)
    if not name:
        raise ValidationError("请填写姓名。", code="missing_required")
    return name


def compact_id_number(value: str) -> str:
    """Full-width digits to ASCII, spaces out, a trailing x upper-cased."""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in text if ch not in SPACES).upper()


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
    if len(number) == OLD_ID_LENGTH and number.isdigit():
        raise ValidationError(
            "“%(value)s”是 15 位旧身份证号，须换成 18 位号码再登记"
            "（录入页面可勾选“转换 15 位旧号码”，转换后请核对）。",
            code="bad_id_format",
            params={"value": value},
        )
    if len(number) != ID_LENGTH or not number[:-1].isdigit() or not re.match(r"[\dX]", number[-1]):
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
    if len(number) != OLD_ID_LENGTH or not number.isdigit():
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


def normalise_phone(value: str) -> str:
    """A mobile (11 digits) or a landline with its area code ("0546-8123456"); "" stays "".

    Full-width digits, spaces, dashes and brackets are accepted as typed; a leading +86
    or 86 on a mobile is dropped.
    """
    text = unicodedata.normalize("NFKC", str(value)).strip(SPACES)
    if not text:
        return ""
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]  # a phone stored as a number in Excel
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if MOBILE.match(digits):
        return digits
    if LANDLINE.match(digits):
        area = 3 if digits[1] in "12" else 4  # 010, 02x are three digits; others four
        return f"{digits[:area]}-{digits[area:]}"
    raise ValidationError(
        "电话“%(value)s”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。",
        code="bad_phone",
        params={"value": value},
    )


def phone_digits(phone: str) -> str:
    return phone.replace("-", "")


@functools.lru_cache(maxsize=65536)
def pinyin_columns(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower-case, for prefix search (王允功 → wangyungong, wyg)."""
    from pypinyin import Style, lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    return "".join(syllables), "".join(s[:1] for s in syllables)
