"""Parallel writes that meet at a database constraint: 409 with a Chinese reason, never a 500."""

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from fuwushe.api_errors import integrity_conflict
from members.models import Member, MemberTag, MemberTransfer, PartyApplicant, Person, TalentTag
from tests.members.ids import id_number
from tests.scoping.world import World

PARALLEL = 8
NEW_ID = id_number(region="370502", born=date(1950, 4, 1), seq=321)
SAME_PERSON_MESSAGE = "该身份证号的人员刚刚已由他人登记，请刷新后核对。"


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views keep their first snapshot.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def race(table: str, send: Callable[[Client], Any]) -> list[Any]:
    """Send PARALLEL requests at once, each past its own checks before any of them writes.

    The table is locked against writes until every request waits on the lock, so that
    they all meet at the constraint, as they would under load on a slower server.
    """
    responses: list[Any] = []

    def one() -> None:
        try:
            responses.append(send(Client()))
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(PARALLEL)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while _waiting_on_locks() < PARALLEL and time.monotonic() < deadline:
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == PARALLEL
    return responses


def _token_header(world: World, name: str) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=world.people[name])
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_of_one_new_id_number_get_one_201_and_409s(world: World):
    auth = _token_header(world, "carol")
    body = {"club": world.club_a.pk, "name": "吴秀兰", "id_number": NEW_ID}

    responses = race(
        "members_person",
        lambda client: client.post(
            "/api/members/", body, content_type="application/json", headers=auth
        ),
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (PARALLEL - 1), [r.content for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {"id_number": [SAME_PERSON_MESSAGE]}
    assert Person.objects.filter(id_number=NEW_ID).count() == 1
    assert Member.objects.filter(person__id_number=NEW_ID).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_applications_of_one_new_person_get_one_201_and_409s(world: World):
    auth = _token_header(world, "alice")
    body = {
        "club": world.club_a.pk,
        "name": "吴秀兰",
        "id_number": NEW_ID,
        "applied_on": "2025-05-04",
    }

    responses = race(
        "members_person",
        lambda client: client.post(
            "/api/party-applicants/", body, content_type="application/json", headers=auth
        ),
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * (PARALLEL - 1)
    assert {r.content.decode() for r in responses if r.status_code == 409} == {
        '{"id_number":["' + SAME_PERSON_MESSAGE + '"]}'
    }
    assert PartyApplicant.objects.filter(person__id_number=NEW_ID).count() == 1


@pytest.mark.django_db
def test_a_conditional_constraint_is_answered_in_its_own_words_on_its_field(world: World):
    transfer = MemberTransfer.objects.filter(status="pending").first()
    assert transfer is not None
    duplicate = MemberTransfer(
        member=transfer.member,
        from_club=transfer.from_club,
        to_club=transfer.to_club,
        requested_by=transfer.requested_by,
    )
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        MemberTransfer.objects.bulk_create([duplicate])

    conflict = integrity_conflict(caught.value)

    assert conflict.status_code == 409
    assert conflict.detail == {"member": ["该党员已有一个待接收的转接申请。"]}


@pytest.mark.django_db
def test_a_constraint_on_several_fields_is_answered_without_a_field(world: World):
    member = Member.objects.filter(club=world.club_a).first()
    assert member is not None
    tag = TalentTag.objects.create(name="书法")
    member.tags.add(tag)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        MemberTag.objects.bulk_create([MemberTag(member=member, tag=tag)])

    conflict = integrity_conflict(caught.value)

    assert conflict.status_code == 409
    assert conflict.detail == "这条记录刚刚已由他人修改，请刷新后核对。"
