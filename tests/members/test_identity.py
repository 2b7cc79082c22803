"""Who a person is: resident ID numbers, phones, names, pinyin and masking."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from members import identity, services
from members.identity import (
    check_id_agrees,
    clean_name,
    convert_old_id_number,
    normalise_phone,
    pinyin_columns,
    validate_id_number,
)
from members.models import Member, Person
from members.privacy import mask_id_number, mask_phone, shown
from tests.members.ids import id_number
from tests.scoping.world import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
WOMAN_1949 = "11010519491231002X"
# 东营区 was created in 1983; this elder, born in 1945, was first registered there.
ELDER_1945 = id_number(region="370502", born=date(1945, 3, 1), seq=100)


def refusal(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_id_number(value)
    return caught.value


def field_errors(exc: ValidationError) -> dict[str, list[tuple[str | None, str]]]:
    """{field: [(code, message)]} of a ValidationError raised with a dict."""
    return {
        field: [(error.code, error.messages[0]) for error in errors]
        for field, errors in exc.error_dict.items()
    }


# --- ID numbers ------------------------------------------------------------------------


def test_the_test_helper_builds_numbers_that_python_stdnum_computes_the_same_way():
    assert ELDER_1945 == "370502194503012014"
    assert ric.calc_check_digit(ELDER_1945) == ELDER_1945[-1]
    assert id_number(region="110105", born=date(1949, 12, 31), seq=1, male=False) == WOMAN_1949


def test_it_accepts_a_real_id_number_as_it_is():
    assert validate_id_number(WOMAN_1949) == WOMAN_1949


def test_it_accepts_an_elder_born_before_their_region_code_existed():
    # python-stdnum's own validate() refuses this number: 370502 did not exist in 1945.
    with pytest.raises(ric.InvalidComponent):
        ric.validate(ELDER_1945)

    assert validate_id_number(ELDER_1945) == "370502194503012014"


def test_it_upper_cases_a_lower_case_check_character():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.django_db
def test_a_lower_case_x_is_stored_upper_case(world: World):
    member = services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "李秀英", "id_number": "11010519491231002x"},
    )

    assert Person.objects.get(pk=member.person_id).id_number == "11010519491231002X"


def test_it_refuses_a_check_character_that_is_wrong():
    error = refusal("110105194912310021")

    assert error.code == "bad_id_checksum"
    assert error.messages == [
        "身份证号“110105194912310021”的校验位（最后一位）不对，请核对是否抄错。"
    ]


def test_it_refuses_an_upper_case_x_where_the_check_character_is_a_digit():
    error = refusal(ELDER_1945[:-1] + "X")

    assert error.code == "bad_id_checksum"


@pytest.mark.parametrize(
    "body",
    ["37010219450230123", "37010219451301123", "37010219450001123", "37010218991231123"],
    ids=["30-february", "month-13", "month-00", "before-1900"],
)
def test_it_refuses_a_birth_date_that_does_not_exist(body: str):
    number = body + ric.calc_check_digit(body + "0")

    error = refusal(number)

    assert error.code == "bad_id_date"
    assert error.messages == [f"身份证号“{number}”中的出生日期（第 7–14 位）不是真实的日期。"]


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_a_birth_date_after_today():
    tomorrow = id_number(region="370102", born=date(2026, 6, 16))

    assert refusal(tomorrow).code == "bad_id_date"
    assert validate_id_number(id_number(region="370102", born=date(2026, 6, 15))).startswith(
        "37010220260615"
    )


def test_it_refuses_a_number_whose_first_two_digits_are_no_province():
    body = "99010219450301123"

    error = refusal(body + ric.calc_check_digit(body + "0"))

    assert error.code == "bad_id_format"
    assert "前两位不是有效的省份代码" in error.messages[0]


@pytest.mark.parametrize(
    "value",
    ["11010519491231002", "1101051949123100211", "", "X"],
    ids=["17-chars", "19-chars", "empty", "only-x"],
)
def test_it_refuses_a_number_of_the_wrong_length(value: str):
    error = refusal(value)

    assert error.code == "bad_id_format"
    assert "应为 18 位，前 17 位是数字，最后一位是数字或 X" in error.messages[0]


@pytest.mark.parametrize(
    "value",
    ["11010519491231A02X", "1101051949123100XX", "11010519491231002Y", "110105-19491231-02X"],
    ids=["letter-inside", "x-inside", "y-at-end", "dashes"],
)
def test_it_refuses_letters_or_marks_inside_the_number(value: str):
    error = refusal(value)

    assert error.code == "bad_id_format"
    assert "前 17 位是数字" in error.messages[0]


def test_it_refuses_a_fifteen_digit_number_and_says_how_to_convert_it():
    error = refusal("370102450301123")

    assert error.code == "bad_id_format"
    assert error.messages == [
        "“370102450301123”是 15 位旧身份证号，须换成 18 位号码再登记"
        "（录入页面可勾选“转换 15 位旧号码”，转换后请核对）。"
    ]


def test_it_converts_a_fifteen_digit_number_only_when_asked():
    assert convert_old_id_number("370102450301123") == "370102194503011239"
    assert convert_old_id_number(" 370102 450301 123 ") == "370102194503011239"


def test_it_converts_a_fifteen_digit_number_keeping_a_womans_gender_digit():
    converted = convert_old_id_number("110105491231002")

    assert converted == "11010519491231002X"


def test_it_refuses_to_convert_anything_but_fifteen_digits():
    with pytest.raises(ValidationError) as caught:
        convert_old_id_number(WOMAN_1949)

    assert caught.value.code == "bad_id_format"
    assert caught.value.messages == ["只有 15 位纯数字的旧身份证号才能转换。"]


def test_it_refuses_to_convert_an_old_number_with_an_impossible_date():
    with pytest.raises(ValidationError) as caught:
        convert_old_id_number("370102450230123")

    assert caught.value.code == "bad_id_date"


@pytest.mark.parametrize("value", ["3.70102E+17", "3.70102e+17", "3.70102E17", "3.7E+17"])
def test_it_refuses_a_number_excel_turned_into_scientific_notation(value: str):
    error = refusal(value)

    assert error.code == "bad_id_format"
    assert error.messages == [
        f"身份证号“{value}”被 Excel 存成了数字，末几位已经丢失，无法还原。"
        "请把该列设为文本格式，重新填写完整的 18 位号码。"
    ]


def test_it_refuses_a_number_whose_tail_excel_rounded_to_zeros():
    # 370102194503011239 kept to Excel's 15 significant digits.
    error = refusal("370102194503011000")

    assert error.code == "bad_id_format"
    assert error.messages == [
        "身份证号“370102194503011000”末尾被 Excel 改成了 0（超过 15 位的数字会丢失精度），"
        "无法还原。请把该列设为文本格式，重新填写完整号码。"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["3.70102E+17", "3.70102e+17", "370102194503011000"])
def test_an_excel_damaged_number_is_never_saved(world: World, value: str):
    people_before = Person.objects.count()

    with pytest.raises(ValidationError) as caught:
        services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "张桂兰", "id_number": value, "phone": "13854601234"},
        )

    assert field_errors(caught.value)["id_number"][0][0] == "bad_id_format"
    assert Person.objects.count() == people_before
    assert not Person.objects.filter(name="张桂兰").exists()
    assert not Member.objects.filter(person__name="张桂兰").exists()


@pytest.mark.parametrize(
    "value",
    [
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",
        "110105\u00a019491231\u3000002x",
        "\t11010519491231002X\r\n",
    ],
    ids=["full-width", "full-width-lower-x", "spaces", "nbsp-and-ideographic", "tab-newline"],
)
def test_it_reads_full_width_digits_and_drops_spaces(value: str):
    assert validate_id_number(value) == WOMAN_1949


def test_it_refuses_arabic_indic_digits_that_python_counts_as_digits():
    assert refusal("٣٧٠١٠٢١٩٤٥٠٣٠١١٢٣٩").code == "bad_id_format"


def test_a_typed_birth_date_and_gender_that_agree_with_the_number_pass():
    check_id_agrees(WOMAN_1949, birth_date=date(1949, 12, 31), gender="female")
    check_id_agrees(ELDER_1945, birth_date=None, gender=None)


@pytest.mark.django_db
def test_a_gender_typed_beside_the_number_must_be_the_one_it_encodes(world: World):
    with pytest.raises(ValidationError) as caught:
        services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "李秀英", "id_number": WOMAN_1949, "gender": "male"},
        )

    assert field_errors(caught.value) == {
        "gender": [("id_gender_mismatch", "性别与身份证号不一致（第 17 位单数为男，双数为女）。")]
    }
    assert not Person.objects.filter(id_number=WOMAN_1949).exists()


@pytest.mark.django_db
def test_a_birth_date_typed_beside_the_number_must_be_the_one_it_encodes(world: World):
    with pytest.raises(ValidationError) as caught:
        services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "李秀英", "id_number": WOMAN_1949, "birth_date": date(1949, 12, 30)},
        )

    assert field_errors(caught.value) == {
        "birth_date": [
            ("id_birth_mismatch", "出生日期 1949-12-30 与身份证号中的 1949-12-31 不一致。")
        ]
    }
    assert not Person.objects.filter(id_number=WOMAN_1949).exists()


@pytest.mark.django_db
def test_both_mismatches_are_reported_together(world: World):
    with pytest.raises(ValidationError) as caught:
        services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={
                "name": "李秀英",
                "id_number": WOMAN_1949,
                "gender": "male",
                "birth_date": date(1950, 1, 1),
            },
        )

    assert {
        field: [code for code, _ in errors] for field, errors in field_errors(caught.value).items()
    } == {"gender": ["id_gender_mismatch"], "birth_date": ["id_birth_mismatch"]}


@pytest.mark.django_db
def test_birth_date_and_gender_left_empty_are_taken_from_the_number(world: World):
    member = services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "王允功", "id_number": ELDER_1945},
    )

    person = Person.objects.get(pk=member.person_id)
    assert (person.birth_date, person.gender) == (date(1945, 3, 1), "male")


@pytest.mark.django_db
def test_a_bad_number_is_reported_on_its_field_through_the_service(world: World):
    with pytest.raises(ValidationError) as caught:
        services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "李秀英", "id_number": "110105194912310021"},
        )

    assert field_errors(caught.value) == {
        "id_number": [
            (
                "bad_id_checksum",
                "身份证号“110105194912310021”的校验位（最后一位）不对，请核对是否抄错。",
            )
        ]
    }


@pytest.mark.django_db
def test_the_database_refuses_a_lower_case_x_written_around_the_services(world: World):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="person_id_number_is_18_upper"), transaction.atomic():
        Person.objects.create(
            name="李秀英",
            gender="female",
            birth_date=date(1949, 12, 31),
            id_number=WOMAN_1949.lower(),
        )


# --- phones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13854601234", "13854601234"),
        ("１３８５４６０１２３４", "13854601234"),
        ("138 5460 1234", "13854601234"),
        ("138\u00a05460\u30001234", "13854601234"),
        ("138-5460-1234", "13854601234"),
        ("(138)54601234", "13854601234"),
        ("+86 138 5460 1234", "13854601234"),
        ("+8613854601234", "13854601234"),
        ("8613854601234", "13854601234"),
        ("13854601234.0", "13854601234"),
        (" 13854601234 ", "13854601234"),
        ("0546-8123456", "0546-8123456"),
        ("05468123456", "0546-8123456"),
        ("(0546)8123456", "0546-8123456"),
        ("（0546）８１２３４５６", "0546-8123456"),
        ("0546－8123456", "0546-8123456"),
        ("0546 8123 456", "0546-8123456"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("021 6234 5678", "021-62345678"),
        ("0533-81234567", "0533-81234567"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_it_normalises_a_phone_as_typed(typed: str, stored: str):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["8123456", "81234567", "1385460123", "138546012345", "12854601234", "0546-81234",
     "电话13854601234", "13854601234转8", "abc"],
    ids=["local-7", "local-8", "mobile-10", "mobile-12", "mobile-12x", "landline-short",
         "with-words", "with-extension", "letters"],
)  # fmt: skip
def test_it_refuses_a_phone_too_short_or_without_area_code(typed: str):
    with pytest.raises(ValidationError) as caught:
        normalise_phone(typed)

    assert caught.value.code == "bad_phone"
    assert caught.value.messages == [
        f"电话“{typed}”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"
    ]


@pytest.mark.parametrize("typed", ["0546-812345", "010-123456789"])
def test_it_refuses_a_landline_whose_local_number_is_not_7_or_8_digits(typed: str):
    with pytest.raises(ValidationError) as caught:
        normalise_phone(typed)

    assert caught.value.code == "bad_phone"


@pytest.mark.django_db
def test_phones_are_stored_normalised_through_the_service(world: World):
    member = services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={
            "name": "王允功",
            "id_number": ELDER_1945,
            "phone": "１３８ ５４６０ １２３４",
            "phone_alt": "0546 8123456",
            "emergency_phone": "+86 139-0546-0000",
        },
    )

    person = Person.objects.get(pk=member.person_id)
    assert (person.phone, person.phone_alt, person.emergency_phone) == (
        "13854601234",
        "0546-8123456",
        "13905460000",
    )


@pytest.mark.django_db
def test_a_bad_phone_is_reported_on_its_own_field(world: World):
    with pytest.raises(ValidationError) as caught:
        services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "王允功", "id_number": ELDER_1945, "phone_alt": "8123456"},
        )

    assert field_errors(caught.value) == {
        "phone_alt": [
            ("bad_phone", "电话“8123456”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。")
        ]
    }


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["王允功", " 王允功 ", "王 允功", "\u00a0王\u00a0允功\u00a0", "王\u3000允\u3000功",
     "\t王允功\n"],
    ids=["plain", "ordinary-around", "ordinary-inside", "non-breaking", "full-width",
         "tab-newline"],
)  # fmt: skip
def test_it_trims_and_removes_spaces_in_a_name(typed: str):
    assert clean_name(typed) == "王允功"


@pytest.mark.parametrize("typed", ["", "   ", "\u00a0\u3000"])
def test_it_refuses_a_name_of_only_spaces(typed: str):
    with pytest.raises(ValidationError) as caught:
        clean_name(typed)

    assert caught.value.code == "missing_required"
    assert caught.value.messages == ["请填写姓名。"]


@pytest.mark.django_db
def test_a_name_is_stored_cleaned_through_the_service(world: World):
    member = services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "\u3000王\u00a0允功 ", "id_number": ELDER_1945},
    )

    assert Person.objects.get(pk=member.person_id).name == "王允功"


@pytest.mark.django_db
def test_two_different_people_may_share_a_name(world: World):
    alice = world.people["alice"]
    first = services.member_create(
        actor=alice, club=world.club_a, person={"name": "张伟", "id_number": ELDER_1945}
    )
    second = services.member_create(
        actor=alice,
        club=world.club_a,
        person={"name": "张 伟", "id_number": id_number(born=date(1950, 5, 4), seq=7)},
    )

    assert first.person_id != second.person_id
    assert list(Person.objects.filter(name="张伟").values_list("id_number", flat=True)) == [
        ELDER_1945,
        "370502195005040156",
    ]


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("王允功", ("wangyungong", "wyg")),
        ("吕晓凤", ("lvxiaofeng", "lxf")),
        ("张三丰", ("zhangsanfeng", "zsf")),
        ("王允功A", ("wangyungong", "wyg")),
    ],
)
def test_it_stores_full_pinyin_and_initials_in_lower_case(name: str, columns: tuple[str, str]):
    assert pinyin_columns(name) == columns


@pytest.mark.django_db
def test_the_pinyin_columns_follow_a_renamed_person(world: World):
    alice = world.people["alice"]
    member = services.member_create(
        actor=alice, club=world.club_a, person={"name": "王允功", "id_number": ELDER_1945}
    )

    services.member_update(actor=alice, member=member, person={"name": "吕晓凤"})

    person = Person.objects.get(pk=member.person_id)
    assert (person.name, person.name_pinyin, person.name_initials) == (
        "吕晓凤",
        "lvxiaofeng",
        "lxf",
    )


# --- masking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("37010219450301123X", "370102**********3X"),
        ("11010519491231002X", "110105**********2X"),
        ("370502194503012014", "370502**********14"),
        ("", ""),
        ("12345678", "********"),
    ],
)
def test_an_id_number_is_masked_to_region_and_last_two(value: str, masked: str):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13854601234", "138****1234"),
        ("0546-8123456", "0546-***3456"),
        ("0533-81234567", "0533-****4567"),
        ("010-12345678", "010-****5678"),
        ("", ""),
        ("1234567", "*******"),
    ],
)
def test_a_phone_is_masked_keeping_the_last_four(value: str, masked: str):
    assert mask_phone(value) == masked


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "id_shown", "phone_shown"),
    [
        ("alice", WOMAN_1949, "13854601234"),
        ("carol", WOMAN_1949, "13854601234"),
        ("bob", "110105**********2X", "138****1234"),
        ("dora", "110105**********2X", "138****1234"),
        ("anonymous", "110105**********2X", "138****1234"),
    ],
)
def test_directors_and_the_center_see_full_values_other_staff_masked_ones(
    world: World, who: str, id_shown: str, phone_shown: str
):
    user = world.people[who]

    assert shown(user, "id_number", WOMAN_1949) == id_shown
    assert shown(user, "phone", "13854601234") == phone_shown
    assert shown(user, "name", "王允功") == "王允功"


@pytest.mark.django_db
def test_the_sensitive_permission_alone_unmasks_for_other_staff(world: World):
    bob: Any = world.people["bob"]
    bob.user_permissions.add(Permission.objects.get(codename="view_sensitive_person"))
    bob = type(bob).objects.get(pk=bob.pk)  # permissions are cached per user object

    assert shown(bob, "id_number", WOMAN_1949) == WOMAN_1949


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("王 允功", "王允功"),
        ("\u3000王\u3000允\u3000功 ", "王允功"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽．买买提", "阿依古丽·买买提"),
        ("阿依古丽 . 买买提", "阿依古丽·买买提"),
    ],
)
def test_a_name_loses_its_spaces_and_keeps_one_kind_of_middle_dot(value, expected):
    assert identity.clean_name(value) == expected
