"""Input a careless user or a hostile client sends: refused naming the field, never stored.

Phones and ID numbers in other scripts' digits, names of invisible characters or with
direction overrides, dates out of any sensible range, and filter values that once made
the members list answer 500.
"""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client

from fuwushe.imports.pipeline import import_validate
from members import identity, services
from members.models import Member, MemberRole, PartyApplicant, Person
from tests.imports import files
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BORN = date(1950, 3, 1)
NUMBER = id_number(region="370502", born=BORN, seq=300)
HIDDEN = "姓名含有不可见字符或控制字符（常见于从网页或 Excel 复制的内容），请删除后重新输入。"


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    """Every test here, the world included, runs on 15 June 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def create(world: World, *, person: dict[str, Any] | None = None, **fields: Any) -> Member:
    return services.member_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "王允功", "id_number": NUMBER, **(person or {})},
        **fields,
    )


def refusal(call: Any) -> dict[str, list[tuple[str | None, str]]]:
    """The (code, message) pairs of a service's refusal, by field."""
    with pytest.raises(ValidationError) as caught:
        call()
    return {
        field: [(error.code, error.messages[0]) for error in errors]
        for field, errors in caught.value.error_dict.items()
    }


# --- digits of other scripts ---------------------------------------------------------

OTHER_DIGITS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "extended-arabic-indic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
    "mathematical-bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
}


def written_in(digits: str, text: str) -> str:
    return text.translate(str.maketrans("0123456789", digits))


@pytest.mark.parametrize("script", ["arabic-indic", "extended-arabic-indic", "devanagari",
                                    "bengali", "thai"])  # fmt: skip
def test_a_mobile_in_another_scripts_digits_is_refused(script: str):
    typed = "13" + written_in(OTHER_DIGITS[script], "812345678")

    with pytest.raises(ValidationError) as caught:
        identity.normalise_phone(typed)

    assert caught.value.code == "bad_phone"


def test_a_landline_in_another_scripts_digits_is_refused():
    with pytest.raises(ValidationError) as caught:
        identity.normalise_phone("0546-" + written_in(OTHER_DIGITS["devanagari"], "8123456"))

    assert caught.value.code == "bad_phone"


def test_full_width_and_bold_digits_become_ascii_and_stay_accepted():
    # NFKC turns both into ASCII digits: what is stored is plain.
    assert identity.normalise_phone("１３８１２３４５６７８") == "13812345678"
    assert identity.normalise_phone(
        written_in(OTHER_DIGITS["mathematical-bold"], "13812345678")
    ) == ("13812345678")


@pytest.mark.parametrize("script", ["arabic-indic", "devanagari", "thai"])
def test_an_id_number_in_another_scripts_digits_is_refused(script: str):
    typed = written_in(OTHER_DIGITS[script], NUMBER)

    with pytest.raises(ValidationError) as caught:
        identity.validate_id_number(typed)

    assert caught.value.code == "bad_id_format"


def test_an_old_number_in_another_scripts_digits_is_not_converted():
    with pytest.raises(ValidationError) as caught:
        identity.convert_old_id_number(written_in(OTHER_DIGITS["arabic-indic"], "370102450301123"))

    assert caught.value.messages == ["只有 15 位纯数字的旧身份证号才能转换。"]


def test_the_service_refuses_a_phone_in_arabic_indic_digits_and_stores_nothing(world: World):
    errors = refusal(lambda: create(world, person={"phone": "13٨١٢٣٤٥٦٧٨"}))

    assert errors == {
        "phone": [
            (
                "bad_phone",
                "电话“13٨١٢٣٤٥٦٧٨”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。",
            )
        ]
    }
    assert not Person.objects.filter(id_number=NUMBER).exists()


# --- names and other free text -------------------------------------------------------

DIRECTION_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@pytest.mark.parametrize(
    "control", [*DIRECTION_CONTROLS, "\u200e", "\u200f"], ids=lambda c: f"U+{ord(c):04X}"
)
def test_a_name_with_a_direction_control_is_refused(control: str):
    with pytest.raises(ValidationError) as caught:
        identity.clean_name(f"王{control}允功")

    assert caught.value.code == "hidden_characters"
    assert caught.value.messages == [HIDDEN]


@pytest.mark.parametrize(
    "control", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\u00ad"],
    ids=lambda c: f"U+{ord(c):04X}",
)  # fmt: skip
def test_a_name_with_a_control_character_is_refused(control: str):
    with pytest.raises(ValidationError) as caught:
        identity.clean_name(f"王允{control}功")

    assert caught.value.code == "hidden_characters"


@pytest.mark.parametrize("zero_width", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_characters_beside_a_name_are_dropped(zero_width: str):
    # Excel and web pages bring them in; they carry nothing in a Chinese name.
    assert identity.clean_name(f"{zero_width}王允{zero_width}功{zero_width}") == "王允功"


def test_a_name_of_only_invisible_characters_is_refused_as_such():
    with pytest.raises(ValidationError) as caught:
        identity.clean_name("\u200b\u200d\ufeff")

    assert caught.value.code == "hidden_characters"
    assert caught.value.messages == [HIDDEN]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("王\ue000功", "bad_characters"),
        ("王\U000f0001", "bad_characters"),
        ("王\u0378", "bad_characters"),
        ("2026", "bad_name"),
        ("···", "bad_name"),
        ("☺？", "bad_name"),
    ],
    ids=["private-use", "plane-15-private-use", "unassigned", "digits", "only-dots", "symbols"],
)
def test_a_name_without_letters_or_with_non_standard_characters_is_refused(typed: str, code: str):
    with pytest.raises(ValidationError) as caught:
        identity.clean_name(typed)

    assert caught.value.code == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("阿依古丽·买买提", "阿依古丽·买买提"), ("阿依古丽•买买提", "阿依古丽·买买提"),
     ("Smith", "Smith"), ("\U00020000\U0002a6d6", "\U00020000\U0002a6d6"),
     ("\U00031350林", "\U00031350林"), ("王〇", "王〇")],
    ids=["minority", "other-dot", "latin", "extension-b", "extension-h", "ling"],
)  # fmt: skip
def test_names_of_letters_and_the_middle_dot_are_accepted(typed: str, stored: str):
    # Extension H (U+31350…) is newer than this Python's Unicode: still a character.
    assert identity.clean_name(typed) == stored


def test_the_service_refuses_a_name_with_a_right_to_left_override(world: World):
    errors = refusal(lambda: create(world, person={"name": "王\u202e功允"}))

    assert errors == {"name": [("hidden_characters", HIDDEN)]}
    assert not Person.objects.filter(id_number=NUMBER).exists()


@pytest.mark.parametrize(
    ("field", "label"),
    [("emergency_contact", "紧急联系人"), ("building", "楼号"), ("ethnicity", "民族")],
)
def test_the_service_refuses_other_person_text_with_a_direction_override(
    world: World, field: str, label: str
):
    errors = refusal(lambda: create(world, person={field: "张\u202e三"}))

    assert errors == {
        field: [
            (
                "hidden_characters",
                f"{label}含有不可见字符或控制字符（常见于从网页或 Excel 复制的内容），"
                "请删除后重新输入。",
            )
        ]
    }


def test_the_service_refuses_a_former_unit_with_a_control_character(world: World):
    errors = refusal(lambda: create(world, former_unit="胜利油田\x01采油厂"))

    assert [code for code, _message in errors["former_unit"]] == ["hidden_characters"]
    assert not Person.objects.filter(id_number=NUMBER).exists()


def test_an_imported_name_with_a_direction_override_is_refused_by_the_same_rule(world: World):
    sheet = files.xlsx([["姓名", "身份证号"], ["王\u202e功允", NUMBER]])

    _run, plan = import_validate(
        kind="members", data=sheet, file_name="花名册.xlsx", actor=world.people["alice"],
        club=world.club_a, keep_plan=True,
    )  # fmt: skip

    assert plan is not None
    assert [(e.column, e.code, e.message) for e in plan.errors] == [
        ("姓名", "hidden_characters", HIDDEN)
    ]


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(1, 1, 1), "登记日期不能早于出生日期。"),
        (date(1950, 2, 28), "登记日期不能早于出生日期。"),
        (date(2099, 1, 1), "登记日期不能晚于今天。"),
        (date(2026, 6, 16), "登记日期不能晚于今天。"),
    ],
)
def test_a_registration_date_out_of_range_is_refused(world: World, day: date, message: str):
    errors = refusal(lambda: create(world, registered_on=day))

    assert errors["registered_on"][0][1] == message
    assert not Member.objects.filter(person__id_number=NUMBER).exists()


def test_a_registration_before_1949_is_refused_even_after_the_birth(world: World):
    number = id_number(region="370502", born=date(1930, 1, 1), seq=301)

    errors = refusal(
        lambda: create(world, person={"id_number": number}, registered_on=date(1948, 12, 31))
    )

    assert errors == {"registered_on": [("date_too_early", "登记日期不能早于 1949 年。")]}


def test_a_registration_dated_today_is_accepted(world: World):
    member = create(world, registered_on=date(2026, 6, 15))

    assert Member.objects.get(pk=member.pk).registered_on == date(2026, 6, 15)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(1, 1, 1), "递交申请书日期不能早于出生日期。"),
        (date(2099, 1, 1), "递交申请书日期不能晚于今天。"),
    ],
)
def test_an_application_date_out_of_range_is_refused(world: World, day: date, message: str):
    errors = refusal(
        lambda: services.applicant_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "赵晓凤", "id_number": NUMBER},
            applied_on=day,
        )
    )

    assert errors["applied_on"][0][1] == message
    assert not PartyApplicant.objects.filter(person__id_number=NUMBER).exists()


def test_a_stage_dated_after_today_is_refused(world: World):
    applicant = services.applicant_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "赵晓凤", "id_number": NUMBER},
        applied_on=date(2024, 3, 1),
    )

    errors = refusal(
        lambda: services.applicant_advance(
            actor=world.people["alice"], applicant=applicant, stage="activist", on=date(2099, 1, 1)
        )
    )

    assert errors == {"activist_on": [("date_in_future", "确定为积极分子日期不能晚于今天。")]}
    assert PartyApplicant.objects.get(pk=applicant.pk).stage == "applicant"


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(1, 1, 1), "迁出日期不能早于出生日期。"), (date(2099, 1, 1), "迁出日期不能晚于今天。")],
)
def test_a_leaving_date_out_of_range_is_refused(world: World, day: date, message: str):
    member = create(world)

    errors = refusal(
        lambda: services.member_mark_moved_away(
            actor=world.people["alice"], member=member, left_on=day
        )
    )

    assert errors == {"left_on": [(errors["left_on"][0][0], message)]}
    assert Member.objects.get(pk=member.pk).status == "active"


def test_a_death_in_year_one_is_refused(world: World):
    member = create(world)

    errors = refusal(
        lambda: services.member_mark_deceased(
            actor=world.people["alice"], member=member, died_on=date(1, 1, 1)
        )
    )

    assert errors == {"died_on": [("date_before_birth", "去世日期不能早于出生日期。")]}


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(1, 1, 1), "开始日期不能早于出生日期。"), (date(2099, 1, 1), "开始日期不能晚于今天。")],
)
def test_a_duty_starting_out_of_range_is_refused(world: World, day: date, message: str):
    member = create(world)

    errors = refusal(
        lambda: services.member_role_assign(
            actor=world.people["alice"], member=member, role="liaison", started_on=day
        )
    )

    assert errors["started_on"][0][1] == message
    assert not MemberRole.objects.filter(member=member).exists()


def test_a_duty_ending_after_today_is_refused(world: World):
    member = create(world)
    duty = services.member_role_assign(
        actor=world.people["alice"], member=member, role="liaison", started_on=date(2024, 1, 1)
    )

    errors = refusal(
        lambda: services.member_role_end(
            actor=world.people["alice"], assignment=duty, ended_on=date(2099, 1, 1)
        )
    )

    assert errors == {"ended_on": [("date_in_future", "结束日期不能晚于今天。")]}
    assert MemberRole.objects.get(pk=duty.pk).ended_on is None


@pytest.mark.parametrize("written", ["0001-01-01", "2099-01-01"])
def test_an_imported_party_date_out_of_range_is_refused(world: World, written: str):
    sheet = files.xlsx([["姓名", "身份证号", "入党时间"], ["王允功", NUMBER, written]])

    _run, plan = import_validate(
        kind="members",
        data=sheet,
        file_name="花名册.xlsx",
        actor=world.people["alice"],
        club=world.club_a,
        keep_plan=True,
    )

    assert plan is not None
    assert [(e.column, e.code, e.message) for e in plan.errors] == [
        ("入党时间", "bad_date", identity.PARTY_DATE_RULE)
    ]


def test_the_api_refuses_a_registration_date_of_2099_naming_the_field(world: World):
    client = Client()
    client.force_login(world.people["alice"])

    response = client.post(
        "/api/members/",
        {
            "club": world.club_a.pk,
            "name": "王允功",
            "id_number": NUMBER,
            "registered_on": "2099-01-01",
        },
        content_type="application/json",
    )

    assert response.status_code == 400, response.content.decode()[:500]
    assert response.json()["registered_on"] == ["登记日期不能晚于今天。"]
    assert not Person.objects.filter(id_number=NUMBER).exists()


# --- filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("age_min=2026", "age_min", "age_min（年龄不小于）须为 0–150 之间的整数。"),
        ("age_max=2025", "age_max", "age_max（年龄不大于）须为 0–150 之间的整数。"),
        ("age_min=99999999999999999999", "age_min", "age_min（年龄不小于）须为 0–150 之间的整数。"),
        ("age_max=-1", "age_max", "age_max（年龄不大于）须为 0–150 之间的整数。"),
        ("age_min=1e400", "age_min", "age_min（年龄不小于）须为 0–150 之间的整数。"),
        ("age_min=eighty", "age_min", "age_min（年龄不小于）须为 0–150 之间的整数。"),
        ("golden_anniversary_year=10000", "golden_anniversary_year",
         "golden_anniversary_year（光荣在党50年年份）须为 1950–2200 之间的整数。"),
    ],
)  # fmt: skip
def test_a_members_api_filter_out_of_range_is_a_400_naming_the_parameter(
    world: World, query: str, parameter: str, message: str
):
    client = Client()
    client.force_login(world.people["alice"])

    response = client.get(f"/api/members/?{query}")

    assert response.status_code == 400
    assert response.json() == {parameter: [message]}


@pytest.mark.parametrize("query", ["age_min=0", "age_max=150", "age_min=150&age_max=0"])
def test_the_ends_of_the_age_range_are_answered(world: World, query: str):
    client = Client()
    client.force_login(world.people["alice"])

    assert client.get(f"/api/members/?{query}").status_code == 200


@pytest.mark.parametrize(
    ("query", "title", "shown"),
    [
        ("status=buried", "状态", "在册"),
        ("age=2026", "年龄段", "全部"),
        ("care=rich", "关怀情况", "全部"),
        ("role=king", "三长六员（现任）", "全部"),
    ],
)
def test_an_admin_list_filter_value_that_is_no_choice_is_ignored_with_a_message(
    world: World, query: str, title: str, shown: str
):
    member = create(world)
    client = Client()
    client.force_login(world.people["alice"])

    response = client.get(f"/admin/members/member/?{query}")

    assert response.status_code == 200
    assert f"/admin/members/member/{member.pk}/change/" in response.content.decode()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"“{title}”的筛选值无效，已按“{shown}”显示。"
    ]


def test_a_transfer_status_that_is_no_choice_shows_the_pending_ones(world: World):
    client = Client()
    client.force_login(world.people["alice"])

    response = client.get("/admin/members/membertransfer/?status=lost")

    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "“状态”的筛选值无效，已按“待接收”显示。"
    ]
