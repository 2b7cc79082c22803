"""The members API: scoped, masked by role, logged on full values, written through services."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from pghistory.models import Events

from fuwushe.audit.models import SensitiveAccess
from fuwushe.org.models import Club, Community
from members import services
from members.models import Member, MemberRole, MemberTransfer, PartyApplicant, Person, TalentTag
from members.privacy import mask_id_number, mask_phone
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MEMBERS = "/api/members/"
TRANSFERS = "/api/member-transfers/"
APPLICANTS = "/api/party-applicants/"
# A real number: a woman born on 31 December 1949 in 北京市朝阳区.
REAL_ID = "11010519491231002X"
WANG_ID = id_number(region="370502", born=date(1938, 5, 1), seq=200)
LI_ID = id_number(region="370102", born=date(1955, 2, 10), seq=200, male=False)
ZHAO_ID = id_number(region="110105", born=date(1947, 9, 9), seq=200)


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    """Every test here, the world included, runs on 15 June 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.people[name])
    return client


def make_member(world: World, club: Club, name: str, number: str, **fields: Any) -> Member:
    person: dict[str, Any] = {
        key: fields.pop(key)
        for key in ("phone", "phone_alt", "emergency_phone", "community", "building")
        if key in fields
    }
    return services.member_create(
        actor=world.people["carol"],
        club=club,
        person={"name": name, "id_number": number, **person},
        **fields,
    )


def row_of(response: Any, record: Member | PartyApplicant) -> dict[str, Any]:
    assert response.status_code == 200, response.content.decode()[:500]
    rows = [row for row in response.json()["results"] if row["id"] == record.pk]
    assert len(rows) == 1, f"{record!r} not listed once"
    return rows[0]


def listed_ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content.decode()[:500]
    return {row["id"] for row in response.json()["results"]}


def api_accesses(user: Any) -> Any:
    return SensitiveAccess.objects.filter(user=user, action="api").order_by("pk")


@pytest.fixture
def wang(world: World) -> Member:
    """王允功 of club A, with every sensitive value filled in."""
    return make_member(
        world,
        world.club_a,
        "王允功",
        WANG_ID,
        phone="13854601234",
        phone_alt="0546-8123456",
        emergency_phone="13912345678",
        health_note="高血压，需定期随访",
        joined_party_on=date(1976, 7, 1),
        lives_alone=True,
    )


# --- masking by role -------------------------------------------------------------------


def test_bob_sees_id_numbers_and_phones_masked_in_the_list_and_the_detail(
    world: World, wang: Member
):
    bob = signed_in(world, "bob")

    listed = row_of(bob.get(MEMBERS), wang)
    detail = bob.get(f"{MEMBERS}{wang.pk}/").json()

    for row in (listed, detail):
        assert row["id_number"] == mask_id_number(WANG_ID) == f"370502{'*' * 10}{WANG_ID[-2:]}"
        assert row["phone"] == "138****1234"
        assert row["phone_alt"] == mask_phone("0546-8123456")
        assert row["emergency_phone"] == "139****5678"
        assert row["health_note"] is None
        assert row["name"] == "王允功"
    assert not api_accesses(world.people["bob"]).exists()


def test_alice_sees_full_values_and_each_response_leaves_one_access_log_entry(
    world: World, wang: Member
):
    alice = signed_in(world, "alice")

    response = alice.get(MEMBERS)
    listed = row_of(response, wang)
    page_people = set(
        Member.objects.filter(pk__in=listed_ids(response)).values_list("person_id", flat=True)
    )
    detail = alice.get(f"{MEMBERS}{wang.pk}/").json()

    for row in (listed, detail):
        assert row["id_number"] == WANG_ID
        assert row["phone"] == "13854601234"
        assert row["phone_alt"] == "0546-8123456"
        assert row["emergency_phone"] == "13912345678"
        assert row["health_note"] == "高血压，需定期随访"
    list_entry, detail_entry = api_accesses(world.people["alice"])
    assert list_entry.subject_type == "members.person"
    assert set(list_entry.subject_ids) == page_people
    assert list_entry.subject_count == len(page_people) > 1
    assert list_entry.club_id == world.club_a.pk
    assert list_entry.path == MEMBERS
    assert "id_number" in list_entry.fields and "health_note" in list_entry.fields
    assert detail_entry.subject_ids == [wang.person_id]
    assert detail_entry.club_id == world.club_a.pk


def test_dora_sees_her_departments_members_masked_and_cannot_write(world: World, wang: Member):
    dora = signed_in(world, "dora")

    row = row_of(dora.get(MEMBERS), wang)
    created = dora.post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "李秀英", "id_number": LI_ID},
        content_type="application/json",
    )
    patched = dora.patch(f"{MEMBERS}{wang.pk}/", {"building": "9"}, content_type="application/json")

    assert row["id_number"] == mask_id_number(WANG_ID)
    assert row["phone"] == "138****1234"
    assert row["health_note"] is None
    assert created.status_code == 403
    assert patched.status_code == 403
    assert not Person.objects.filter(id_number=LI_ID).exists()
    assert Person.objects.get(pk=wang.person_id).building == ""
    assert not api_accesses(world.people["dora"]).exists()


def test_carol_sees_every_club_in_full_and_a_mixed_page_is_logged_without_a_club(
    world: World, wang: Member
):
    li = make_member(world, world.club_b, "李秀英", LI_ID, phone="13700001111")
    carol = signed_in(world, "carol")

    response = carol.get(MEMBERS)

    assert row_of(response, wang)["id_number"] == WANG_ID
    assert row_of(response, li)["phone"] == "13700001111"
    (entry,) = api_accesses(world.people["carol"])
    assert {wang.person_id, li.person_id} <= set(entry.subject_ids)
    # Two clubs of two departments: the entry belongs to the center.
    assert (entry.club_id, entry.department_id) == (None, None)


def test_party_applicants_are_masked_for_bob_and_in_full_for_alice(world: World):
    applicant = services.applicant_create(
        actor=world.people["alice"],
        club=world.club_a,
        person={"name": "赵志强", "id_number": ZHAO_ID, "phone": "13600002222"},
        applied_on=date(2026, 3, 1),
    )

    for_bob = signed_in(world, "bob").get(f"{APPLICANTS}{applicant.pk}/").json()
    for_alice = row_of(signed_in(world, "alice").get(APPLICANTS), applicant)

    assert for_bob["id_number"] == mask_id_number(ZHAO_ID)
    assert for_bob["phone"] == "136****2222"
    assert for_bob["stage_display"] == "入党申请人"
    assert for_alice["id_number"] == ZHAO_ID
    (entry,) = api_accesses(world.people["alice"])
    assert applicant.person_id in entry.subject_ids


# --- scoping ---------------------------------------------------------------------------


def test_charlie_neither_lists_nor_opens_club_a_members(world: World, wang: Member):
    charlie = signed_in(world, "charlie")

    ids = listed_ids(charlie.get(MEMBERS))
    detail = charlie.get(f"{MEMBERS}{wang.pk}/")
    patched = charlie.patch(
        f"{MEMBERS}{wang.pk}/", {"building": "9"}, content_type="application/json"
    )

    assert wang.pk not in ids
    assert Member.objects.filter(pk__in=ids).exclude(club=world.club_b).count() == 0
    assert detail.status_code == 404
    assert "王允功" not in detail.content.decode()
    assert patched.status_code == 404


def test_charlie_cannot_register_a_member_into_club_a(world: World):
    response = signed_in(world, "charlie").post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "李秀英", "id_number": LI_ID},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "不存在" in response.json()["club"][0]
    assert not Person.objects.filter(id_number=LI_ID).exists()


def test_a_community_of_another_club_cannot_be_picked(world: World):
    club_b_community = Community.objects.get(club=world.club_b)

    response = signed_in(world, "alice").post(
        MEMBERS,
        {
            "club": world.club_a.pk,
            "name": "李秀英",
            "id_number": LI_ID,
            "community": club_b_community.pk,
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "不存在" in response.json()["community"][0]


def test_anonymous_visitors_are_refused(world: World, wang: Member):
    assert Client().get(MEMBERS).status_code in (401, 403)
    assert Client().get(f"{MEMBERS}{wang.pk}/").status_code in (401, 403)


# --- creating --------------------------------------------------------------------------


def test_a_member_is_registered_with_birth_date_and_gender_from_the_id_number(world: World):
    tag = TalentTag.objects.get(name="讲师")
    community = Community.objects.get(club=world.club_a)

    response = signed_in(world, "alice").post(
        MEMBERS,
        {
            "club": world.club_a.pk,
            "name": " 孙 桂兰 ",
            "id_number": REAL_ID.lower(),
            "phone": "１３８-５４６０-９８７６",
            "community": community.pk,
            "building": "12",
            "category": "retired",
            "joined_party_on": "1975-06-20",
            "widowed": True,
            "tags": ["讲师"],
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    member = Member.objects.select_related("person").get(pk=body["id"])
    assert member.person.name == "孙桂兰"
    assert member.person.id_number == REAL_ID
    assert member.person.birth_date == date(1949, 12, 31)
    assert member.person.gender == "female"
    assert member.person.phone == "13854609876"
    assert list(member.tags.all()) == [tag]
    assert body["birth_date"] == "1949-12-31"
    assert (body["gender"], body["gender_display"]) == ("female", "女")
    assert (body["age"], body["party_age"]) == (76, 50)
    assert body["advanced_age"] is False
    assert body["community_name"] == community.name
    assert body["club_name"] == "甲小区党员服务社"
    assert body["tags"] == ["讲师"]
    assert body["status"] == "active"
    # Alice may see full values: the answer carries them, and is logged like a read.
    assert body["id_number"] == REAL_ID
    (entry,) = api_accesses(world.people["alice"])
    assert entry.subject_ids == [member.person_id]


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("110105194912310021", "校验位"),
        ("110105194902300026", "出生日期"),
        ("110105491231002", "15 位"),
        ("3.70102E+17", "Excel"),
    ],
    ids=["checksum", "no-such-date", "15-digit", "excel-scientific"],
)
def test_a_bad_id_number_is_refused_with_a_reason_under_id_number(
    world: World, typed: str, fragment: str
):
    response = signed_in(world, "alice").post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "孙桂兰", "id_number": typed},
        content_type="application/json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["id_number"]
    assert fragment in errors["id_number"][0]
    assert not Person.objects.filter(name="孙桂兰").exists()


def test_an_id_number_is_required_to_register(world: World):
    response = signed_in(world, "alice").post(
        MEMBERS, {"club": world.club_a.pk, "name": "孙桂兰"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"id_number": ["请填写身份证号。"]}


def test_a_person_registered_in_another_club_is_refused_naming_only_that_club(world: World):
    make_member(world, world.club_b, "李秀英", LI_ID, phone="13700001111", building="7")

    response = signed_in(world, "alice").post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "李某", "id_number": LI_ID},
        content_type="application/json",
    )

    assert response.status_code == 400
    body = response.content.decode()
    (message,) = response.json()["id_number"]
    assert "乙小区党员服务社" in message
    for secret in ("李秀英", "13700001111", "1111"):
        assert secret not in body
    assert Person.objects.get(id_number=LI_ID).name == "李秀英"
    assert Member.objects.filter(person__id_number=LI_ID).count() == 1


def test_a_member_already_on_the_roster_is_not_registered_twice(world: World, wang: Member):
    response = signed_in(world, "alice").post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "王允功", "id_number": WANG_ID, "phone": "13999999999"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "已在“甲小区党员服务社”的名册中" in response.json()["id_number"][0]
    assert Person.objects.get(pk=wang.person_id).phone == "13854601234"


def test_an_unknown_talent_tag_is_refused(world: World):
    response = signed_in(world, "alice").post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "孙桂兰", "id_number": REAL_ID, "tags": ["不存在的标签"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "tags" in response.json()


# --- updating --------------------------------------------------------------------------


def test_a_phone_typed_with_spaces_is_stored_normalised_and_answered_masked(
    world: World, wang: Member
):
    response = signed_in(world, "bob").patch(
        f"{MEMBERS}{wang.pk}/", {"phone": "138 5460 9999"}, content_type="application/json"
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["phone"] == "138****9999"
    assert Person.objects.get(pk=wang.person_id).phone == "13854609999"


def test_a_bad_phone_is_refused_under_phone(world: World, wang: Member):
    response = signed_in(world, "alice").patch(
        f"{MEMBERS}{wang.pk}/", {"phone": "12345"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "手机号为 11 位" in response.json()["phone"][0]


def test_a_patch_without_the_id_number_leaves_it_and_the_rest_unchanged(world: World, wang: Member):
    response = signed_in(world, "bob").patch(
        f"{MEMBERS}{wang.pk}/",
        {"building": "3", "hardship": True, "category": "veteran"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content.decode()
    wang.refresh_from_db()
    wang.person.refresh_from_db()
    assert wang.person.id_number == WANG_ID
    assert wang.person.phone == "13854601234"
    assert wang.person.building == "3"
    assert (wang.hardship, wang.lives_alone, wang.category) == (True, True, "veteran")
    assert wang.health_note == "高血压，需定期随访"


def test_a_null_health_note_from_someone_who_may_see_it_keeps_it(world: World, wang: Member):
    # Bob may not change it at all: tests/members/test_hidden_fields.py.
    response = signed_in(world, "alice").patch(
        f"{MEMBERS}{wang.pk}/",
        {"health_note": None, "building": "5"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["health_note"] == "高血压，需定期随访"
    assert Member.objects.get(pk=wang.pk).health_note == "高血压，需定期随访"


def test_masked_values_sent_back_are_refused_not_saved(world: World, wang: Member):
    bob = signed_in(world, "bob")
    shown = bob.get(f"{MEMBERS}{wang.pk}/").json()

    response = bob.patch(
        f"{MEMBERS}{wang.pk}/",
        {"id_number": shown["id_number"], "phone": shown["phone"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert "打码" in errors["id_number"][0]
    assert "打码" in errors["phone"][0]
    person = Person.objects.get(pk=wang.person_id)
    assert (person.id_number, person.phone) == (WANG_ID, "13854601234")


def test_a_full_update_keeps_the_id_number_when_it_is_left_out(world: World, wang: Member):
    alice = signed_in(world, "alice")
    body = alice.get(f"{MEMBERS}{wang.pk}/").json()
    body = {
        key: value
        for key, value in body.items()
        if key not in ("id_number", "phone", "phone_alt", "emergency_phone")
    }
    body["former_unit"] = "胜利油田"

    response = alice.put(f"{MEMBERS}{wang.pk}/", body, content_type="application/json")

    assert response.status_code == 200, response.content.decode()
    wang.refresh_from_db()
    assert wang.former_unit == "胜利油田"
    assert Person.objects.get(pk=wang.person_id).id_number == WANG_ID


def test_the_club_cannot_be_changed_by_an_update(world: World, wang: Member):
    response = signed_in(world, "carol").patch(
        f"{MEMBERS}{wang.pk}/", {"club": world.club_b.pk}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "党员转接" in response.json()["club"][0]
    assert Member.objects.get(pk=wang.pk).club == world.club_a


def test_a_birth_date_that_disagrees_with_the_id_number_is_refused(world: World, wang: Member):
    response = signed_in(world, "alice").patch(
        f"{MEMBERS}{wang.pk}/",
        {"id_number": WANG_ID, "birth_date": "1938-05-02"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "不一致" in response.json()["birth_date"][0]


# --- history ---------------------------------------------------------------------------


def test_a_create_and_an_update_through_the_api_are_in_the_history_with_the_user(world: World):
    alice = signed_in(world, "alice")
    created = alice.post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "孙桂兰", "id_number": REAL_ID},
        content_type="application/json",
    )
    member = Member.objects.get(pk=created.json()["id"])

    alice.patch(
        f"{MEMBERS}{member.pk}/",
        {"phone": "13854601234", "lives_alone": True},
        content_type="application/json",
    )

    alice_id = world.people["alice"].pk
    member_events = {
        (event.pgh_label, event.pgh_context["user"]) for event in Events.objects.tracks(member)
    }
    person_events = {
        (event.pgh_label, event.pgh_context["user"])
        for event in Events.objects.tracks(member.person)
    }
    assert member_events == {("insert", alice_id), ("update", alice_id)}
    assert person_events == {("insert", alice_id), ("update", alice_id)}
    update = Events.objects.tracks(member).get(pgh_label="update")
    assert update.pgh_context["url"] == f"{MEMBERS}{member.pk}/"


# --- transfers -------------------------------------------------------------------------


def test_a_transfer_requested_by_alice_and_accepted_by_charlie_moves_the_member(
    world: World, wang: Member
):
    alice, charlie = signed_in(world, "alice"), signed_in(world, "charlie")

    requested = alice.post(
        TRANSFERS,
        {"member": wang.pk, "to_club": world.club_b.pk, "reason": "随子女迁居"},
        content_type="application/json",
    )
    assert requested.status_code == 201, requested.content.decode()
    transfer = requested.json()
    assert (transfer["status"], transfer["member_name"]) == ("pending", "王允功")
    assert transfer["from_club_name"] == "甲小区党员服务社"
    assert wang.pk in listed_ids(alice.get(MEMBERS))
    assert wang.pk not in listed_ids(charlie.get(MEMBERS))
    assert transfer["id"] in listed_ids(charlie.get(TRANSFERS))

    accepted = charlie.post(
        f"{TRANSFERS}{transfer['id']}/accept/", {"note": "欢迎"}, content_type="application/json"
    )

    assert accepted.status_code == 200, accepted.content.decode()
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_by"] == world.people["charlie"].pk
    assert wang.pk not in listed_ids(alice.get(MEMBERS))
    assert alice.get(f"{MEMBERS}{wang.pk}/").status_code == 404
    assert row_of(charlie.get(MEMBERS), wang)["club_name"] == "乙小区党员服务社"
    # The sending club still sees the transfer it asked for.
    assert transfer["id"] in listed_ids(alice.get(TRANSFERS))


def test_the_sending_club_cannot_accept_its_own_request(world: World, wang: Member):
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=wang, to_club=world.club_b
    )

    response = signed_in(world, "alice").post(
        f"{TRANSFERS}{transfer.pk}/accept/", {}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "乙小区党员服务社" in response.json()["detail"]
    assert MemberTransfer.objects.get(pk=transfer.pk).status == "pending"


def test_a_transfer_is_declined_with_a_reason_or_withdrawn_by_the_sender(
    world: World, wang: Member
):
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=wang, to_club=world.club_b
    )
    charlie = signed_in(world, "charlie")
    url = f"{TRANSFERS}{transfer.pk}/decline/"

    without_reason = charlie.post(url, {}, content_type="application/json")
    declined = charlie.post(url, {"note": "不在本社范围"}, content_type="application/json")
    again = charlie.post(url, {"note": "再次退回"}, content_type="application/json")

    assert without_reason.status_code == 400
    assert without_reason.json()["note"] == ["请说明退回或撤回的原因。"]
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["decision_note"]) == (
        "rejected",
        "不在本社范围",
    )
    assert again.status_code == 400
    assert "已退回" in again.json()["non_field_errors"][0]

    second = services.member_transfer_request(
        actor=world.people["alice"], member=wang, to_club=world.club_b
    )
    withdrawn = signed_in(world, "alice").post(
        f"{TRANSFERS}{second.pk}/decline/",
        {"note": "家属改变主意", "cancel": True},
        content_type="application/json",
    )
    assert withdrawn.json()["status"] == "cancelled"


def test_a_transfer_cannot_be_requested_for_another_clubs_member(world: World, wang: Member):
    response = signed_in(world, "charlie").post(
        TRANSFERS,
        {"member": wang.pk, "to_club": world.club_b.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "不存在" in response.json()["member"][0]
    assert not MemberTransfer.objects.filter(member=wang).exists()


def test_a_member_can_be_transferred_only_into_another_club(world: World, wang: Member):
    response = signed_in(world, "alice").post(
        TRANSFERS,
        {"member": wang.pk, "to_club": world.club_a.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "不能与转出服务社相同" in str(response.json())


def test_dora_may_not_decide_transfers_without_the_change_permission(world: World, wang: Member):
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=wang, to_club=world.club_b
    )

    response = signed_in(world, "dora").post(
        f"{TRANSFERS}{transfer.pk}/decline/",
        {"note": "x", "cancel": True},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert MemberTransfer.objects.get(pk=transfer.pk).status == "pending"


# --- party applicants ------------------------------------------------------------------


def test_a_party_applicant_is_registered_through_the_api(world: World):
    response = signed_in(world, "bob").post(
        APPLICANTS,
        {
            "club": world.club_a.pk,
            "name": "赵志强",
            "id_number": ZHAO_ID,
            "applied_on": "2026-03-01",
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content.decode()
    applicant = PartyApplicant.objects.get(pk=response.json()["id"])
    assert applicant.person.birth_date == date(1947, 9, 9)
    assert applicant.stage == "applicant"
    assert response.json()["id_number"] == mask_id_number(ZHAO_ID)


def test_a_member_cannot_also_be_registered_as_an_applicant(world: World, wang: Member):
    response = signed_in(world, "alice").post(
        APPLICANTS,
        {
            "club": world.club_a.pk,
            "name": "王允功",
            "id_number": WANG_ID,
            "applied_on": "2026-03-01",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "已是党员" in response.json()["id_number"][0]


def test_the_talent_tags_are_listed_for_picking(world: World):
    response = signed_in(world, "bob").get("/api/talent-tags/")

    assert response.status_code == 200
    names = [tag["name"] for tag in response.json()["results"]]
    assert {"五老", "讲师", "顾问", "文体骨干"} <= set(names)


# --- filters, search and ordering --------------------------------------------------------


@pytest.fixture
def roster(world: World, wang: Member) -> dict[str, Member]:
    """Three members of club A whose ages, flags and party dates differ (on 15 June 2026)."""
    return {
        # 88, lives alone, joined 1976: 50 years in 2026.
        "王允功": wang,
        # 71, widowed, joined 1980.
        "李秀英": make_member(
            world,
            world.club_a,
            "李秀英",
            LI_ID,
            phone="13700005678",
            joined_party_on=date(1980, 3, 1),
            widowed=True,
            building="12号楼",
        ),
        # 78, joined 1977: 50 years in 2027.
        "王云": make_member(
            world, world.club_a, "王云", ZHAO_ID, joined_party_on=date(1977, 10, 1)
        ),
    }


def names(client: Client, query: str, roster: dict[str, Member]) -> list[str]:
    """The roster's names in the answer, in its order (the world's own members left out)."""
    response = client.get(f"{MEMBERS}?{query}")
    assert response.status_code == 200, response.content.decode()
    return [row["name"] for row in response.json()["results"] if row["name"] in roster]


def test_search_finds_by_pinyin_initials_full_pinyin_id_tail_phone_tail_and_building(
    world: World, roster: dict[str, Member]
):
    alice = signed_in(world, "alice")

    assert names(alice, "search=wyg", roster) == ["王允功"]
    assert set(names(alice, "search=wy", roster)) == {"王允功", "王云"}
    assert names(alice, "search=lixiu", roster) == ["李秀英"]
    assert names(alice, f"search={LI_ID[-6:]}", roster) == ["李秀英"]
    assert names(alice, "search=5678", roster) == ["李秀英"]
    assert names(alice, "search=允功", roster) == ["王允功"]
    assert names(alice, "search=12号", roster) == ["李秀英"]


def test_filters_by_care_flags_age_advanced_age_and_golden_anniversary(
    world: World, roster: dict[str, Member]
):
    alice = signed_in(world, "alice")

    assert names(alice, "lives_alone=true", roster) == ["王允功"]
    assert names(alice, "widowed=true", roster) == ["李秀英"]
    assert names(alice, "advanced_age=true", roster) == ["王允功"]
    assert set(names(alice, "advanced_age=false", roster)) == {"李秀英", "王云"}
    assert names(alice, "age_min=75&age_max=80", roster) == ["王云"]
    assert names(alice, "age_max=71", roster) == ["李秀英"]
    assert names(alice, "golden_anniversary_year=2026", roster) == ["王允功"]
    assert names(alice, "golden_anniversary_year=2027", roster) == ["王云"]
    assert alice.get(f"{MEMBERS}?age_min=abc").status_code == 400


def test_the_advanced_age_flag_follows_the_centers_threshold(
    world: World, roster: dict[str, Member]
):
    rows = signed_in(world, "alice").get(f"{MEMBERS}?ordering=-age").json()["results"]
    flags = {row["name"]: (row["age"], row["advanced_age"]) for row in rows}

    assert flags["王允功"] == (88, True)
    assert flags["王云"] == (78, False)
    assert flags["李秀英"] == (71, False)


def test_the_status_filter_defaults_to_all_and_narrows_on_request(
    world: World, roster: dict[str, Member]
):
    services.member_mark_deceased(
        actor=world.people["alice"], member=roster["王云"], died_on=date(2026, 5, 1)
    )
    alice = signed_in(world, "alice")

    assert set(names(alice, "", roster)) == {"王允功", "李秀英", "王云"}
    assert set(names(alice, "status=active", roster)) == {"王允功", "李秀英"}
    assert names(alice, "status=deceased", roster) == ["王云"]


def test_ordering_by_name_pinyin_age_and_party_date(world: World, roster: dict[str, Member]):
    alice = signed_in(world, "alice")

    # wangyun sorts before wangyungong.
    assert names(alice, "ordering=name", roster) == ["李秀英", "王云", "王允功"]
    assert names(alice, "ordering=-age", roster) == ["王允功", "王云", "李秀英"]
    assert names(alice, "ordering=joined_party_on", roster) == ["王允功", "王云", "李秀英"]


def test_current_roles_and_tags_are_listed_with_the_member(world: World, wang: Member):
    services.member_role_assign(
        actor=world.people["alice"], member=wang, role=MemberRole.Role.PATROL_CAPTAIN
    )
    ended = services.member_role_assign(
        actor=world.people["alice"],
        member=wang,
        role=MemberRole.Role.MEDIATION,
        started_on=date(2020, 1, 1),
    )
    services.member_role_end(
        actor=world.people["alice"], assignment=ended, ended_on=date(2025, 1, 1)
    )
    services.member_update(
        actor=world.people["alice"], member=wang, tags=TalentTag.objects.filter(name="顾问")
    )

    row = row_of(signed_in(world, "bob").get(MEMBERS), wang)

    assert [role["role_display"] for role in row["current_roles"]] == ["巡逻队长"]
    assert row["tags"] == ["顾问"]


# --- performance -----------------------------------------------------------------------


def count_list_queries(client: Client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MEMBERS)
    assert response.status_code == 200
    return len(response.json()["results"]), len(queries.captured_queries)


def add_members(world: World, count: int, start: int) -> None:
    tag = TalentTag.objects.get(name="五老")
    community = Community.objects.get(club=world.club_a)
    for seq in range(start, start + count):
        member = make_member(
            world,
            world.club_a,
            f"测试党员{seq}",
            id_number(region="370102", born=date(1940, 1, 1), seq=seq),
            community=community,
            joined_party_on=date(1970, 1, 1),
        )
        services.member_update(actor=world.people["carol"], member=member, tags=[tag])
        services.member_role_assign(
            actor=world.people["carol"], member=member, role=MemberRole.Role.LIAISON
        )


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_member_list_runs_in_a_constant_number_of_queries(world: World, who: str):
    client = signed_in(world, who)
    add_members(world, 1, start=10)
    client.get(MEMBERS)  # warm the configuration cache (the advanced-age threshold)

    few = count_list_queries(client)
    add_members(world, 22, start=20)
    many = count_list_queries(client)

    assert few[0] <= 3 and many[0] >= 25
    # session, user, permissions (user + groups), posting (scope), count, page, tags, roles;
    # for alice, who sees full values, the access log: its user and club checks and the insert.
    expected = 12 if who == "alice" else 9
    assert (few[1], many[1]) == (expected, expected)


# --- the schema ------------------------------------------------------------------------


def test_the_schema_documents_every_members_endpoint_with_a_chinese_summary():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]

    expected = {
        ("/api/members/", "get"): "党员列表",
        ("/api/members/", "post"): "登记党员",
        ("/api/members/{id}/", "get"): "党员详情",
        ("/api/members/{id}/", "patch"): "修改党员信息（部分字段）",
        ("/api/member-transfers/", "post"): "申请党员转接（转出）",
        ("/api/member-transfers/{id}/accept/", "post"): "接收转入的党员",
        ("/api/member-transfers/{id}/decline/", "post"): "退回或撤回党员转接",
        ("/api/party-applicants/", "post"): "登记入党申请人",
        ("/api/talent-tags/", "get"): "人才库标签列表",
    }
    for (path, method), summary in expected.items():
        assert paths[path][method]["summary"] == summary
    assert "delete" not in paths["/api/members/{id}/"]
    parameters = {p["name"] for p in paths["/api/members/"]["get"]["parameters"]}
    assert {
        "search",
        "advanced_age",
        "age_min",
        "golden_anniversary_year",
        "ordering",
    } <= parameters
    member = schema["components"]["schemas"]["Member"]["properties"]
    assert member["health_note"]["nullable"] is True
    assert member["advanced_age"]["type"] == "boolean"


def test_the_schema_generates_and_validates_without_warnings(tmp_path: Any):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "/api/members/{id}/" in (tmp_path / "schema.yml").read_text()
