"""Phones as people write them (issue 10): a local number takes the area code of the club's
city, two numbers in one box are told apart, an extension is kept and shown masked."""

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from fuwushe.org.models import AreaCode, Club
from fuwushe.org.selectors import area_codes, city_key, club_area_code
from members import identity, services
from members.identity import Phone
from members.models import Member, PartyApplicant, Person
from members.privacy import mask_phone
from tests.members.ids import id_number
from tests.members.test_admin import APPLICANTS, CHANGELIST, change_form, member_form, page
from tests.scoping.world import World, signed_in

MEMBERS_API = "/api/members/"
PHONE_RULE = "电话“{}”不对：手机号为 11 位，座机须带区号（如 0546-8123456）。"
LIU_ID = id_number(region="370502", born=date(1950, 5, 5), seq=410)
MA_ID = id_number(region="370502", born=date(1952, 6, 6), seq=411, male=False)
HAN_ID = id_number(region="370502", born=date(1990, 4, 4), seq=412)


# --- identity.read_phones / normalise_phone ---------------------------------------------

# As typed, with the club's area code 0546: every number read, and whether its area code
# was assumed.
READ = [
    ("", []),
    ("   ", []),
    ("13812345678", [("13812345678", False)]),
    ("１３８１２３４５６７８", [("13812345678", False)]),
    ("+86 138 1234 5678", [("13812345678", False)]),
    ("8613812345678", [("13812345678", False)]),
    ("138 1234 5678", [("13812345678", False)]),
    ("0546-8123456", [("0546-8123456", False)]),
    ("0546 8123456", [("0546-8123456", False)]),
    ("(0546)8123456", [("0546-8123456", False)]),
    ("０５４６－８１２３４５６", [("0546-8123456", False)]),
    ("010-12345678", [("010-12345678", False)]),
    ("8123456", [("0546-8123456", True)]),
    ("81234567", [("0546-81234567", True)]),
    ("８１２３４５６", [("0546-8123456", True)]),
    ("812-3456", [("0546-8123456", True)]),
    ("0546-8123456转123", [("0546-8123456转123", False)]),
    ("0546-8123456 转 123", [("0546-8123456转123", False)]),
    ("0546-8123456分机123", [("0546-8123456转123", False)]),
    ("8123456转123", [("0546-8123456转123", True)]),
    ("8123456/8123457", [("0546-8123456", True), ("0546-8123457", True)]),
    ("8123456 8123457", [("0546-8123456", True), ("0546-8123457", True)]),
    ("13812345678/0546-8123456", [("13812345678", False), ("0546-8123456", False)]),
    ("13812345678、13912345678", [("13812345678", False), ("13912345678", False)]),
    ("13812345678，13912345678", [("13812345678", False), ("13912345678", False)]),
    ("13812345678,13912345678", [("13812345678", False), ("13912345678", False)]),
    ("13812345678；13912345678", [("13812345678", False), ("13912345678", False)]),
    ("13812345678;13912345678", [("13812345678", False), ("13912345678", False)]),
    ("13812345678或13912345678", [("13812345678", False), ("13912345678", False)]),
    ("13812345678 0546-8123456", [("13812345678", False), ("0546-8123456", False)]),
    ("13812345678 8123456", [("13812345678", False), ("0546-8123456", True)]),
    ("138 1234 5678 139 1234 5678", [("13812345678", False), ("13912345678", False)]),
    (
        "8123456/8123457/13812345678",
        [("0546-8123456", True), ("0546-8123457", True), ("13812345678", False)],
    ),
    ("13812345678 / ", [("13812345678", False)]),
]


@pytest.mark.parametrize(("typed", "read"), READ)
def test_read_phones_finds_every_number_in_what_was_typed(typed: str, read: list[Any]):
    assert identity.read_phones(typed, "0546") == [Phone(*phone) for phone in read]


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678转123",  # a mobile has no extension
        "1234567",  # a local number never starts with 1
        "0123456",  # ... nor with 0
        "812345",  # six digits
        "812345678",  # nine
        "0546-8123456转",
        "转123",
        "13812345678/12345",
    ],
)
def test_read_phones_refuses_what_is_no_number(typed: str):
    with pytest.raises(ValidationError) as raised:
        identity.read_phones(typed, "0546")

    assert raised.value.code == "bad_phone"


@pytest.mark.parametrize("typed", ["8123456", "81234567", "8123456转123", "13812345678 8123456"])
def test_without_an_area_code_a_local_number_is_refused(typed: str):
    with pytest.raises(ValidationError) as raised:
        identity.read_phones(typed)

    assert raised.value.code == "bad_phone"
    assert raised.value.messages == [PHONE_RULE.format(typed)]


@pytest.mark.parametrize(
    ("typed", "area_code", "stored"),
    [
        ("8123456", "0546", "0546-8123456"),
        ("81234567", "0532", "0532-81234567"),
        ("８１２３４５６", "0546", "0546-8123456"),
        ("8123456转12", "0546", "0546-8123456转12"),
        ("0531-8123456", "0546", "0531-8123456"),  # its own area code is kept
        ("+8613812345678", "0546", "13812345678"),
        ("13812345678", "", "13812345678"),
        ("0546 8123456", "", "0546-8123456"),
        ("0546-8123456转123", "", "0546-8123456转123"),
        ("", "0546", ""),
    ],
)
def test_normalise_phone_with_an_area_code(typed: str, area_code: str, stored: str):
    assert identity.normalise_phone(typed, area_code) == stored


def test_read_phone_says_when_the_area_code_was_assumed():
    assert identity.read_phone("8123456", "0546") == Phone("0546-8123456", True)
    assert identity.read_phone("0546-8123456", "0546") == Phone("0546-8123456", False)


@pytest.mark.parametrize("typed", ["8123456", "13812345678转1", "8123456/8123457"])
def test_normalise_phone_refuses_a_local_number_without_area_code_or_two_numbers(typed: str):
    with pytest.raises(ValidationError) as raised:
        identity.normalise_phone(typed)

    assert raised.value.code == "bad_phone"


# --- identity.parse_gender --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "gender"),
    [
        ("男", "male"),
        ("女", "female"),
        ("男性", "male"),
        ("女性", "female"),
        (" 男 ", "male"),
        ("男\u3000性", "male"),
        ("M", "male"),
        ("m", "male"),
        ("F", "female"),
        ("f", "female"),
        ("Male", "male"),
        ("MALE", "male"),
        ("female", "female"),
        ("FeMale", "female"),
        ("Ｍ", "male"),
        ("1", "male"),
        ("2", "female"),
        ("1.0", "male"),
        ("2.0", "female"),
        ("１", "male"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_parse_gender_reads_every_usual_wording(typed: str, gender: str):
    assert identity.parse_gender(typed) == gender


@pytest.mark.parametrize(
    "typed", ["男女", "未知", "0", "3", "x", "mf", "男士", "1.5", "9.0", "男.0", "m.0"]
)
def test_parse_gender_refuses_anything_else(typed: str):
    with pytest.raises(ValidationError) as raised:
        identity.parse_gender(typed)

    assert raised.value.code == "bad_choice"
    assert raised.value.messages == [
        f"性别“{typed}”无法识别，请写男或女（也可写男性/女性、M/F、1/2），不填则按身份证号。"
    ]


# --- privacy.mask_phone -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("0546-8123456转123", "0546-***3456转123"),
        ("0546-81234567转1", "0546-****4567转1"),
        ("010-12345678转9999", "010-****5678转9999"),
        ("0546-8123456", "0546-***3456"),
        ("13812345678", "138****5678"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_an_extension(stored: str, shown: str):
    assert mask_phone(stored) == shown


# --- fuwushe.org.selectors --------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "key"),
    [("东营市", "东营"), ("东营", "东营"), (" 东 营市 ", "东营"), ("", ""), ("市", "")],
)
def test_city_key(city: str, key: str):
    assert city_key(city) == key


@pytest.mark.django_db
def test_the_shandong_area_codes_are_loaded_by_key():
    codes = area_codes()

    assert (codes["东营"], codes["济南"], codes["青岛"], codes["滨州"]) == (
        "0546",
        "0531",
        "0532",
        "0543",
    )
    assert len(codes) == AreaCode.objects.count() >= 16


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("city", "code"),
    [("东营市", "0546"), ("东营", "0546"), ("潍坊市", "0536"), ("", ""), ("三沙市", "")],
)
def test_club_area_code_with_and_without_the_codes_at_hand(world: World, city: str, code: str):
    club = world.club_a
    club.city = city

    assert club_area_code(club) == code
    assert club_area_code(club, area_codes()) == code


@pytest.mark.django_db
def test_club_area_code_of_a_city_the_center_added_or_of_no_club(world: World):
    AreaCode.objects.create(city="北京", code="010")
    world.club_a.city = "北京市"

    assert club_area_code(world.club_a) == "010"
    assert club_area_code(world.club_a, area_codes()) == "010"
    assert club_area_code(None) == ""


# --- through the admin and the API --------------------------------------------------------


@pytest.fixture
def dongying(world: World) -> Club:
    """Club A, in 东营市; club B keeps no city."""
    Club.objects.filter(pk=world.club_a.pk).update(city="东营市")
    world.club_a.refresh_from_db()
    return world.club_a


def phones_of(number: str) -> tuple[str, str, str]:
    p = Person.objects.get(id_number=number)
    return (p.phone, p.phone_alt, p.emergency_phone)


@pytest.mark.django_db
def test_the_admin_add_form_gives_a_local_number_the_clubs_area_code(world: World, dongying: Club):
    response = signed_in(world, "alice").post(
        f"{CHANGELIST}add/",
        member_form(
            dongying,
            name="刘某",
            id_number=LIU_ID,
            phone="8123456",
            phone_alt="0546 8123457",
            emergency_phone="81234567",
        ),
    )

    assert response.status_code == 302, page(response)[:3000]
    assert phones_of(LIU_ID) == ("0546-8123456", "0546-8123457", "0546-81234567")


@pytest.mark.django_db
def test_the_admin_change_form_gives_a_local_number_the_clubs_area_code(
    world: World, dongying: Club
):
    member = services.member_create(
        actor=world.people["alice"],
        club=dongying,
        person={"name": "刘某", "id_number": LIU_ID, "phone": "13812345678"},
    )

    response = signed_in(world, "alice").post(
        f"{CHANGELIST}{member.pk}/change/", change_form(member, phone_alt="8123456转12")
    )

    assert response.status_code == 302, page(response)[:3000]
    assert phones_of(LIU_ID) == ("13812345678", "0546-8123456转12", "")


@pytest.mark.django_db
def test_the_admin_refuses_a_local_number_for_a_club_without_a_city(world: World):
    response = signed_in(world, "charlie").post(
        f"{CHANGELIST}add/",
        member_form(world.club_b, name="马某", id_number=MA_ID, phone="8123456"),
    )

    assert response.status_code == 200
    assert PHONE_RULE.format("8123456") in page(response)
    assert not Person.objects.filter(id_number=MA_ID).exists()


@pytest.mark.django_db
def test_the_admin_applicant_forms_give_a_local_number_the_clubs_area_code(
    world: World, dongying: Club
):
    alice = signed_in(world, "alice")
    form = {
        **{k: v for k, v in member_form(dongying).items() if not k.startswith("roles-")},
        "name": "韩某",
        "id_number": HAN_ID,
        "phone": "8123456",
        "applied_on": "2025-01-10",
    }

    created = alice.post(f"{APPLICANTS}add/", form)

    assert created.status_code == 302, page(created)[:3000]
    applicant = PartyApplicant.objects.select_related("person").get(person__id_number=HAN_ID)
    assert applicant.person.phone == "0546-8123456"
    p = applicant.person
    keys = set(services.PERSON_FIELDS)
    change = {
        **{k: v for k, v in member_form(dongying).items() if k in keys},
        "name": p.name,
        "gender": p.gender,
        "birth_date": p.birth_date.isoformat(),
        "phone_alt": "81234567",
    }

    changed = alice.post(f"{APPLICANTS}{applicant.pk}/change/", change)

    assert changed.status_code == 302, page(changed)[:3000]
    assert phones_of(HAN_ID)[:2] == ("0546-8123456", "0546-81234567")


@pytest.mark.django_db
def test_the_services_say_bad_phone_for_a_local_number_of_a_club_without_a_city(world: World):
    with pytest.raises(ValidationError) as raised:
        services.member_create(
            actor=world.people["charlie"],
            club=world.club_b,
            person={"name": "马某", "id_number": MA_ID, "emergency_phone": "8123456"},
        )

    assert [e.code for e in raised.value.error_dict["emergency_phone"]] == ["bad_phone"]


@pytest.mark.django_db
def test_the_api_gives_a_local_number_the_clubs_area_code_and_masks_the_extension(
    world: World, dongying: Club
):
    created = signed_in(world, "alice").post(
        MEMBERS_API,
        {
            "club": dongying.pk,
            "name": "刘某",
            "id_number": LIU_ID,
            "phone": "8123456",
            "phone_alt": "8123457转123",
            "category": "retired",
        },
        content_type="application/json",
    )

    assert created.status_code == 201, created.content.decode()
    body = created.json()
    assert (body["phone"], body["phone_alt"]) == ("0546-8123456", "0546-8123457转123")
    assert phones_of(LIU_ID)[:2] == ("0546-8123456", "0546-8123457转123")

    patched = signed_in(world, "bob").patch(
        f"{MEMBERS_API}{body['id']}/",
        {"emergency_phone": "81234567"},
        content_type="application/json",
    )

    assert patched.status_code == 200, patched.content.decode()
    assert phones_of(LIU_ID) == ("0546-8123456", "0546-8123457转123", "0546-81234567")
    answer = patched.json()
    assert (answer["phone"], answer["phone_alt"], answer["emergency_phone"]) == (
        "0546-***3456",
        "0546-***3457转123",
        "0546-****4567",
    )


@pytest.mark.django_db
def test_the_api_refuses_a_local_number_for_a_club_without_a_city(world: World):
    member = services.member_create(
        actor=world.people["charlie"],
        club=world.club_b,
        person={"name": "马某", "id_number": MA_ID, "phone": "13812345678"},
    )
    charlie = signed_in(world, "charlie")

    created = charlie.post(
        MEMBERS_API,
        {"club": world.club_b.pk, "name": "刘某", "id_number": LIU_ID, "phone": "8123456"},
        content_type="application/json",
    )
    patched = charlie.patch(
        f"{MEMBERS_API}{member.pk}/", {"phone": "8123456"}, content_type="application/json"
    )

    assert created.status_code == 400
    assert created.json()["phone"] == [PHONE_RULE.format("8123456")]
    assert patched.status_code == 400
    assert patched.json()["phone"] == [PHONE_RULE.format("8123456")]
    assert phones_of(MA_ID)[0] == "13812345678"
    assert not Member.objects.filter(person__id_number=LIU_ID).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("extension", ["", "转123"], ids=["plain", "extension"])
@pytest.mark.parametrize(
    ("name", "term"), [("bob", "3456"), ("alice", "3456"), ("alice", "8123456")]
)
def test_a_number_with_an_extension_is_found_by_the_tail_its_mask_shows(
    world: World, dongying: Club, name: str, term: str, extension: str
):
    """Bob sees 0546-***3456转123 in the list: typing 3456 must find that member, as it
    finds one whose number has no extension."""
    member = services.member_create(
        actor=world.people["alice"],
        club=dongying,
        person={"name": "刘某", "id_number": LIU_ID, "phone_alt": f"8123456{extension}"},
    )
    assert mask_phone(member.person.phone_alt) == f"0546-***3456{extension}"

    html = page(signed_in(world, name).get(f"{CHANGELIST}?q={term}"))

    assert f'href="{CHANGELIST}{member.pk}/change/' in html
