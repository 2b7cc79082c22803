"""A field hidden from a user is read-only for them on every path: API, admin, importer.

Bob (part-time, club A) may not see health notes: the API shows him null, the admin form
leaves the field off. He could only erase what he cannot read, so he may not change it;
a first note for a member he registers erases nothing and is kept.
"""

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from fuwushe.imports.pipeline import import_apply, import_validate
from members import services
from members.models import Member
from tests.imports import files
from tests.members.ids import id_number
from tests.members.test_admin import change_form
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

MEMBERS = "/api/members/"
NOTE = "高血压，需定期随访"
WANG_ID = id_number(region="370502", born=date(1944, 5, 6), seq=31)
SUN_ID = id_number(region="370502", born=date(1950, 3, 3), seq=32, male=False)
READ_ONLY = {"health_note": ["字段“健康状况”是只读的，不能修改。"]}


@pytest.fixture
def wang(world: World) -> Member:
    return services.member_create(
        actor=world.people["carol"],
        club=world.club_a,
        person={"name": "王允功", "id_number": WANG_ID},
        health_note=NOTE,
    )


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.people[name])
    return client


def note_of(member: Member) -> str:
    return Member.objects.get(pk=member.pk).health_note


# --- API --------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["", "已康复"])
def test_bob_can_neither_erase_nor_overwrite_a_note_through_the_api(
    world: World, wang: Member, sent: str
):
    response = signed_in(world, "bob").patch(
        f"{MEMBERS}{wang.pk}/", {"health_note": sent}, content_type="application/json"
    )

    assert (response.status_code, response.json()) == (400, READ_ONLY)
    assert note_of(wang) == NOTE


def test_a_request_carrying_the_hidden_field_saves_nothing_else_either(world: World, wang: Member):
    response = signed_in(world, "bob").patch(
        f"{MEMBERS}{wang.pk}/",
        {"health_note": "", "building": "5"},
        content_type="application/json",
    )

    assert response.status_code == 400
    wang.refresh_from_db()
    assert (wang.health_note, wang.person.building) == (NOTE, "")


def test_bob_writes_the_first_note_of_a_member_he_registers(world: World):
    response = signed_in(world, "bob").post(
        MEMBERS,
        {"club": world.club_a.pk, "name": "孙桂兰", "id_number": SUN_ID, "health_note": "腿脚不便"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["health_note"] is None
    assert Member.objects.get(person__id_number=SUN_ID).health_note == "腿脚不便"


def test_alice_who_may_see_the_note_changes_it(world: World, wang: Member):
    response = signed_in(world, "alice").patch(
        f"{MEMBERS}{wang.pk}/", {"health_note": ""}, content_type="application/json"
    )

    assert response.status_code == 200, response.content.decode()
    assert note_of(wang) == ""


def test_the_service_refuses_a_note_change_by_someone_who_may_not_see_it(
    world: World, wang: Member
):
    with pytest.raises(ValidationError) as refused:
        services.member_update(actor=world.people["bob"], member=wang, health_note="")

    assert refused.value.message_dict == {
        "health_note": ["健康状况是敏感信息，您无权查看，也不能修改。"]
    }
    assert note_of(wang) == NOTE


# --- admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["", "已康复"])
def test_a_note_posted_with_bobs_admin_form_changes_nothing(world: World, wang: Member, sent: str):
    form = change_form(wang, building="5", health_note=sent)

    response = signed_in(world, "bob").post(f"/admin/members/member/{wang.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    wang.refresh_from_db()
    assert (wang.health_note, wang.person.building) == (NOTE, "5")


# --- importer ---------------------------------------------------------------------------


def ledger(*rows: list[Any]) -> bytes:
    return files.xlsx([["姓名", "身份证号", "健康状况"], *rows])


def imported(world: World, name: str, data: bytes) -> tuple[int, int, int, int]:
    actor = world.people[name]
    run, plan = import_validate(
        kind="members", data=data, file_name="花名册.xlsx", actor=actor, club=world.club_a
    )
    assert plan is not None, run.message
    import_apply(run=run, actor=actor)
    return plan.created, plan.updated, plan.unchanged, plan.error_rows


def test_bobs_ledger_keeps_existing_notes_and_gives_new_members_theirs(world: World, wang: Member):
    data = ledger(["王允功", WANG_ID, "已康复"], ["孙桂兰", SUN_ID, "腿脚不便"])

    counts = imported(world, "bob", data)

    # Unchanged, not updated: the count would otherwise tell him the note differs.
    assert counts == (1, 0, 1, 0)
    assert note_of(wang) == NOTE
    assert Member.objects.get(person__id_number=SUN_ID).health_note == "腿脚不便"


def test_alices_ledger_changes_the_note(world: World, wang: Member):
    counts = imported(world, "alice", ledger(["王允功", WANG_ID, "已康复"]))

    assert counts == (0, 1, 0, 0)
    assert note_of(wang) == "已康复"
