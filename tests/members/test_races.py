"""Parallel writes of the same record: the database lets exactly one through.

Each test starts eight real threads (each with its own database connection) at one
barrier, calling the services as two browsers or API clients would at the same moment.
"""

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from members import services
from members.models import Member, MemberTransfer, PartyApplicant, Person
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 8
NEW_ID = id_number(region="370502", born=date(1948, 4, 4), seq=321)


def race(work: Callable[[], Any]) -> list[Any]:
    """Run `work` in RACERS threads released together; each one's result or exception."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[Any] = []
    guard = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome = work()
        except Exception as exc:  # noqa: BLE001 (the exception is the outcome)
            outcome = exc
        finally:
            connection.close()
        with guard:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == RACERS
    return outcomes


def blocked_sessions() -> int:
    """Sessions of this test database waiting for a lock another one holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def second_while_first_is_open(work: Callable[[], Any]) -> Any:
    """Run `work` once and keep its transaction open; run it again meanwhile and return
    the second outcome, after the first has committed."""
    written, release = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def first() -> None:
        try:
            with transaction.atomic():
                work()
                written.set()
                release.wait(30)
        finally:
            connection.close()

    def second() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # noqa: BLE001 (the exception is the outcome)
            outcome.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert written.wait(30)
    threads[1].start()
    deadline = time.monotonic() + 30
    while blocked_sessions() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)  # until the second waits for the first one's lock
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    return outcome[0]


def refusals(outcomes: list[Any]) -> list[BaseException]:
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]


def validation_errors(outcomes: list[Any]) -> list[ValidationError]:
    return [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]


def test_eight_parallel_creates_of_one_new_id_number_put_one_member_on_the_roster(
    world: World,
):
    outcomes = race(
        lambda: services.member_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "韩新", "id_number": NEW_ID},
        )
    )

    created = [outcome for outcome in outcomes if isinstance(outcome, Member)]
    assert len(created) == 1
    assert all(isinstance(r, ValidationError | IntegrityError) for r in refusals(outcomes))
    assert Person.objects.filter(id_number=NEW_ID).count() == 1
    assert Member.objects.filter(person__id_number=NEW_ID).count() == 1


def test_eight_parallel_applications_of_one_new_person_make_one_application(world: World):
    outcomes = race(
        lambda: services.applicant_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "韩新", "id_number": NEW_ID},
            applied_on=date(2025, 3, 1),
        )
    )

    assert len([o for o in outcomes if isinstance(o, PartyApplicant)]) == 1
    assert all(isinstance(r, ValidationError | IntegrityError) for r in refusals(outcomes))
    assert Person.objects.filter(id_number=NEW_ID).count() == 1
    assert PartyApplicant.objects.filter(person__id_number=NEW_ID).count() == 1


def test_eight_parallel_applications_of_a_known_person_refuse_seven_by_the_open_rule(
    world: World,
):
    services.person_upsert(actor=world.people["alice"], data={"name": "韩新", "id_number": NEW_ID})

    outcomes = race(
        lambda: services.applicant_create(
            actor=world.people["alice"],
            club=world.club_a,
            person={"name": "韩新", "id_number": NEW_ID},
            applied_on=date(2025, 3, 1),
        )
    )

    # The person's row is locked, so each later one finds the first application.
    assert len([o for o in outcomes if isinstance(o, PartyApplicant)]) == 1
    assert [type(r) for r in refusals(outcomes)] == [ValidationError] * (RACERS - 1)
    assert {m for r in validation_errors(outcomes) for m in r.messages} == {
        "此人已有一份在办的入党申请。"
    }
    assert PartyApplicant.objects.filter(person__id_number=NEW_ID).count() == 1


def test_eight_parallel_transfer_requests_of_one_member_leave_one_pending(world: World):
    member = services.member_create(
        actor=world.people["alice"], club=world.club_a, person={"name": "韩新", "id_number": NEW_ID}
    )

    outcomes = race(
        lambda: services.member_transfer_request(
            actor=world.people["alice"], member=member, to_club=world.club_b, reason="随子女居住"
        )
    )

    assert len([o for o in outcomes if isinstance(o, MemberTransfer)]) == 1
    # Never an IntegrityError: the member's row is locked, and the later requests are
    # refused by the one-pending rule with its message.
    assert [type(r) for r in refusals(outcomes)] == [ValidationError] * (RACERS - 1)
    assert {m for r in validation_errors(outcomes) for m in r.messages} == {
        "该党员已有一个待接收的转接申请。"
    }
    assert MemberTransfer.objects.filter(member=member).count() == 1
    assert Member.objects.get(pk=member.pk).club == world.club_a


def test_a_transfer_request_made_while_another_is_uncommitted_is_refused_by_its_rule(
    world: World,
):
    member = services.member_create(
        actor=world.people["alice"], club=world.club_a, person={"name": "韩新", "id_number": NEW_ID}
    )

    second = second_while_first_is_open(
        lambda: services.member_transfer_request(
            actor=world.people["alice"], member=member, to_club=world.club_b
        )
    )

    # Without the lock on the member, the second would pass its checks (the first is not
    # committed yet) and then fail on the unique index with an IntegrityError.
    assert isinstance(second, ValidationError)
    assert second.messages == ["该党员已有一个待接收的转接申请。"]
    assert MemberTransfer.objects.filter(member=member, status="pending").count() == 1
