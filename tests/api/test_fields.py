"""A write naming a field the API does not have, or may not change, is refused, not ignored."""

from typing import Any

import pytest
from django.test import Client
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from fuwushe.org.api_base import refuse_unknown_fields
from members.models import Member, MemberTransfer
from tests.scoping.world import World

pytestmark = pytest.mark.django_db


def token_client(world: World, name: str) -> Client:
    token, _ = Token.objects.get_or_create(user=world.people[name])
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def club_a_member(world: World) -> Member:
    member = Member.objects.filter(club=world.club_a, transfers__isnull=True).first()
    assert member is not None
    return member


def test_an_unknown_field_in_a_new_member_is_refused_by_name(world: World):
    body = {"club": world.club_a.pk, "name": "王", "id_number": "x", "nickname": "老王"}

    response = token_client(world, "carol").post(
        "/api/members/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"nickname": ["未知字段：nickname"]}


def test_an_unknown_field_in_a_change_is_refused_and_nothing_is_saved(world: World):
    member = club_a_member(world)
    body = {"notes": "改过", "helth_note": "拼错的字段"}

    response = token_client(world, "alice").patch(
        f"/api/members/{member.pk}/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"helth_note": ["未知字段：helth_note"]}
    member.refresh_from_db()
    assert member.notes != "改过"


@pytest.mark.parametrize(
    ("field", "label"),
    [("status", "状态"), ("age", "年龄"), ("id", "ID"), ("club_name", "所属服务社名称")],
)
def test_a_read_only_field_of_a_member_is_refused_by_its_label(
    world: World, field: str, label: str
):
    member = club_a_member(world)

    response = token_client(world, "alice").patch(
        f"/api/members/{member.pk}/", {field: "deceased"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {field: [f"字段“{label}”是只读的，不能修改。"]}
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_a_read_only_field_of_a_transfer_is_refused(world: World):
    member = club_a_member(world)
    body = {"member": member.pk, "to_club": world.club_b.pk, "status": "accepted"}

    response = token_client(world, "alice").post(
        "/api/member-transfers/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"status": ["字段“状态”是只读的，不能修改。"]}
    assert not MemberTransfer.objects.filter(member=member).exists()


def test_a_read_only_stage_of_an_applicant_is_refused(world: World):
    body = {"club": world.club_a.pk, "name": "王", "stage": "full", "applied_on": "2025-01-01"}

    response = token_client(world, "alice").post(
        "/api/party-applicants/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"stage": ["字段“阶段”是只读的，不能修改。"]}


def test_unknown_and_read_only_fields_are_all_named_at_once(world: World):
    body = {"club": world.club_a.pk, "a": 1, "b": 2, "status": "active"}

    response = token_client(world, "carol").post(
        "/api/members/", body, content_type="application/json"
    )

    assert response.json() == {
        "a": ["未知字段：a"],
        "b": ["未知字段：b"],
        "status": ["字段“状态”是只读的，不能修改。"],
    }


def test_a_form_post_from_the_browsable_api_may_carry_its_csrf_token(world: World):
    client = Client()
    client.force_login(world.people["carol"])

    response = client.post(
        "/api/members/", {"csrfmiddlewaretoken": "x", "club": world.club_a.pk, "name": "王"}
    )

    assert response.status_code == 400
    assert "csrfmiddlewaretoken" not in response.json()
    assert "id_number" in response.json()


class _PerUserSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(label="备注")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.context.get("may_write_note"):
            self.fields["note"].read_only = True


def test_a_field_made_read_only_for_one_user_is_refused_to_that_user_only():
    refused = _PerUserSerializer(data={"note": "x"}, context={"may_write_note": False})
    allowed = _PerUserSerializer(data={"note": "x"}, context={"may_write_note": True})

    with pytest.raises(serializers.ValidationError) as caught:
        refuse_unknown_fields(refused)
    refuse_unknown_fields(allowed)

    assert caught.value.detail == {"note": ["字段“备注”是只读的，不能修改。"]}


def test_a_read_only_field_sent_back_as_shown_changes_nothing_and_passes(world: World):
    member = club_a_member(world)
    client = token_client(world, "alice")
    shown = client.get(f"/api/members/{member.pk}/").json()

    response = client.patch(
        f"/api/members/{member.pk}/",
        {"status": shown["status"], "age": shown["age"], "notes": "核对过"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content.decode()
    member.refresh_from_db()
    assert member.notes == "核对过"


def test_a_read_only_field_of_a_new_record_is_refused_whatever_its_value(world: World):
    body = {"club": world.club_a.pk, "name": "王", "status": "active"}

    response = token_client(world, "alice").post(
        "/api/members/", body, content_type="application/json"
    )

    assert response.json()["status"] == ["字段“状态”是只读的，不能修改。"]


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_an_unknown_field_in_a_transfer_decision_is_refused_and_nothing_is_decided(
    world: World, decision: str
):
    member = club_a_member(world)
    transfer = MemberTransfer.objects.create(
        member=member,
        from_club=world.club_a,
        to_club=world.club_b,
        requested_by=world.people["alice"],
    )

    response = token_client(world, "charlie").post(
        f"/api/member-transfers/{transfer.pk}/{decision}/",
        {"note": "好", "status": "accepted"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"status": ["未知字段：status"]}
    transfer.refresh_from_db()
    assert transfer.status == MemberTransfer.Status.PENDING
