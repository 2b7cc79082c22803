"""Typed ID numbers are no oracle: other refusals read the same, answers are logged and limited.

Bob (part-time, club A) sees 王允功's number as 370502**********82 beside the birth date;
about nine endings pass the check character, so every answer about a candidate counts.
"""

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from stdnum.cn import ric

from fuwushe.audit.models import SensitiveAccess
from fuwushe.config.services import config_set
from fuwushe.imports.pipeline import import_validate
from fuwushe.imports.registry import Plan
from fuwushe.org.models import Club
from members import services
from members.lookups import LIMITED, digest
from members.models import Member, PartyApplicant
from tests.imports import files
from tests.members.ids import id_number
from tests.members.test_admin import member_form
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MEMBERS = "/api/members/"
WANG_ID = id_number(region="370502", born=date(1951, 6, 3), seq=141)
LI_ID = id_number(region="370502", born=date(1953, 4, 4), seq=77, male=False)
ZHAO_ID = id_number(region="370502", born=date(1948, 2, 2), seq=5, male=False)
ZHOU_ID = id_number(region="370503", born=date(1949, 9, 9), seq=8)
QIAN_ID = id_number(region="370503", born=date(1947, 1, 5), seq=9)
FRESH_ID = id_number(region="370102", born=date(1950, 1, 1), seq=7)
ELSEWHERE = (
    "该身份证号的人员已在“乙小区党员服务社”登记，不能重复登记。如需转入，请由该服务社发起党员转接。"
)
ON_THE_ROSTER = "该身份证号的党员已在“甲小区党员服务社”的名册中。"


def near_misses(number: str) -> list[str]:
    """The other numbers its mask could be: characters 1–14 and the last 2 the same, and
    a valid check character."""
    candidates = []
    for hidden in range(100):
        body = f"{number[:14]}{hidden:02d}{number[16]}"
        candidate = body + ric.calc_check_digit(body + "0")
        if candidate[-1] == number[-1] and candidate != number:
            candidates.append(candidate)
    return candidates


@pytest.fixture(autouse=True)
def _frozen_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def put_on_roster(world: World, club: Club, name: str, number: str) -> Member:
    return services.member_create(
        actor=world.people["carol"], club=club, person={"name": name, "id_number": number}
    )


@pytest.fixture
def wang(world: World) -> Member:
    return put_on_roster(world, world.club_a, "王允功", WANG_ID)


@pytest.fixture
def li(world: World) -> Member:
    return put_on_roster(world, world.club_a, "李秀英", LI_ID)


@pytest.fixture
def club_b_people(world: World) -> list[Member]:
    return [
        put_on_roster(world, world.club_b, name, number)
        for name, number in (("赵桂兰", ZHAO_ID), ("周建国", ZHOU_ID), ("钱文", QIAN_ID))
    ]


@pytest.fixture
def limit(world: World, django_capture_on_commit_callbacks: Any) -> Callable[[int], None]:
    def set_to(value: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            config_set(user=world.people["carol"], key="id_lookup_limit", value=value)

    return set_to


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.people[name])
    return client


def register(client: Client, club: Club, number: str, **fields: Any) -> Any:
    body = {"club": club.pk, "name": "王某", "id_number": number, **fields}
    return client.post(MEMBERS, body, content_type="application/json")


def entries(world: World, name: str, action: str) -> list[SensitiveAccess]:
    return list(
        SensitiveAccess.objects.filter(user=world.people[name], action=action).order_by("pk")
    )


def preview(world: World, name: str, *numbers: str) -> Plan:
    rows = [["王允功" if number == WANG_ID else "某某", number] for number in numbers]
    _run, plan = import_validate(
        kind="members",
        data=files.xlsx([["姓名", "身份证号"], *rows]),
        file_name="核对.xlsx",
        actor=world.people[name],
        club=world.club_a,
    )
    assert plan is not None
    return plan


def outcome(plan: Plan) -> tuple[tuple[int, int, int], list[tuple[str, str]]]:
    return (plan.created, plan.updated, plan.unchanged), [(e.code, e.message) for e in plan.errors]


# --- other refusals do not depend on the number -----------------------------------------


def test_a_refused_party_date_reads_the_same_whichever_number_is_typed(
    world: World, wang: Member, club_b_people: list[Member]
):
    bob = signed_in(world, "bob")
    typed = [WANG_ID, near_misses(WANG_ID)[0], ZHAO_ID, FRESH_ID]
    members_before = Member.objects.count()

    # Joined at 7 or younger for every one of these numbers.
    answers = [register(bob, world.club_a, n, joined_party_on="1955-07-01") for n in typed]

    assert {response.status_code for response in answers} == {400}
    assert {response.content for response in answers} == {answers[0].content}
    assert list(answers[0].json()) == ["joined_party_on"]
    assert Member.objects.count() == members_before
    assert entries(world, "bob", "lookup") == entries(world, "bob", "blocked") == []


def test_a_registration_date_before_the_typed_birth_reads_the_same_whichever_number(
    world: World, wang: Member
):
    held = put_on_roster(world, world.club_b, "郑红", id_number(born=date(1956, 8, 8), seq=3))
    bob = signed_in(world, "bob")
    typed = [WANG_ID, near_misses(WANG_ID)[0], held.person.id_number, FRESH_ID]

    # Before each of these people was born (1950–1956), yet after 1949.
    answers = [register(bob, world.club_a, n, registered_on="1949-10-01") for n in typed]

    assert {response.status_code for response in answers} == {400}
    assert {response.content for response in answers} == {answers[0].content}
    assert list(answers[0].json()) == ["registered_on"]
    assert entries(world, "bob", "lookup") == []


def test_a_changed_number_with_a_refused_party_date_reads_the_same_whichever_it_is(
    world: World, wang: Member, li: Member, club_b_people: list[Member]
):
    bob = signed_in(world, "bob")
    typed = [WANG_ID, near_misses(LI_ID)[0], ZHAO_ID, FRESH_ID]

    answers = [
        bob.patch(
            f"{MEMBERS}{li.pk}/",
            {"id_number": number, "joined_party_on": "1955-07-01"},
            content_type="application/json",
        )
        for number in typed
    ]

    assert {response.status_code for response in answers} == {400}
    assert {response.content for response in answers} == {answers[0].content}
    assert list(answers[0].json()) == ["joined_party_on"]
    assert Member.objects.get(pk=li.pk).person.id_number == LI_ID
    assert entries(world, "bob", "lookup") == []


def test_a_refused_application_date_reads_the_same_whichever_number_is_typed(
    world: World, wang: Member, club_b_people: list[Member]
):
    alice = world.people["alice"]
    refusals = []
    for number in (WANG_ID, ZHAO_ID, FRESH_ID):
        with pytest.raises(ValidationError) as refused:
            services.applicant_create(
                actor=alice,
                club=world.club_a,
                person={"name": "孙某", "id_number": number},
                applied_on=date(2026, 7, 1),  # after today
            )
        refusals.append(refused.value.message_dict)

    assert refusals[0] == refusals[1] == refusals[2]
    assert list(refusals[0]) == ["applied_on"]
    assert not PartyApplicant.objects.filter(person__id_number=FRESH_ID).exists()


# --- refusals never echo the number -----------------------------------------------------


def test_a_refusal_names_the_holding_club_but_never_the_number(
    world: World, wang: Member, club_b_people: list[Member]
):
    bob = signed_in(world, "bob")

    on_roster = register(bob, world.club_a, WANG_ID)
    elsewhere = register(bob, world.club_a, ZHAO_ID)

    assert (on_roster.status_code, on_roster.json()) == (400, {"id_number": [ON_THE_ROSTER]})
    assert (elsewhere.status_code, elsewhere.json()) == (400, {"id_number": [ELSEWHERE]})


def test_changing_a_number_to_someone_elses_never_echoes_it(world: World, wang: Member, li: Member):
    with pytest.raises(ValidationError) as refused:
        services.person_update(
            actor=world.people["alice"], person=li.person, data={"id_number": WANG_ID}
        )

    assert refused.value.message_dict == {"id_number": ["该身份证号已登记给另一人，请核对。"]}


# --- answers are logged -----------------------------------------------------------------


def test_bob_typing_a_number_he_sees_masked_is_logged_every_time_but_never_limited(
    world: World, wang: Member, limit: Callable[[int], None]
):
    limit(1)
    bob = signed_in(world, "bob")

    answers = [register(bob, world.club_a, WANG_ID) for _ in range(3)]

    assert [a.json() for a in answers] == [{"id_number": [ON_THE_ROSTER]}] * 3
    logged = entries(world, "bob", "lookup")
    assert [(e.subject_ids, e.lookup_keys, e.club_id, e.department_id, e.path) for e in logged] == [
        ([wang.person_id], [], world.club_a.pk, None, MEMBERS)
    ] * 3
    assert entries(world, "bob", "blocked") == []


def test_a_director_typing_her_own_members_number_leaves_no_entry(world: World, wang: Member):
    answer = register(signed_in(world, "alice"), world.club_a, WANG_ID)

    assert answer.json() == {"id_number": [ON_THE_ROSTER]}
    assert entries(world, "alice", "lookup") == []


def test_a_refused_admin_form_still_leaves_its_lookup_in_the_log(world: World, wang: Member):
    charlie = signed_in(world, "charlie")

    page = charlie.post(
        "/admin/members/member/add/", member_form(world.club_b, name="张三", id_number=WANG_ID)
    )

    assert page.status_code == 200 and "甲小区党员服务社" in page.content.decode()
    [entry] = entries(world, "charlie", "lookup")
    assert (entry.subject_ids, entry.lookup_keys, entry.club_id, entry.path) == (
        [wang.person_id],
        [digest(WANG_ID)],
        world.club_b.pk,
        "/admin/members/member/add/",
    )
    assert WANG_ID not in str(entry.lookup_keys)


# --- and limited ------------------------------------------------------------------------


def test_past_the_limit_of_near_misses_bob_gets_no_answer_at_all(
    world: World, wang: Member, limit: Callable[[int], None]
):
    limit(2)
    bob = signed_in(world, "bob")
    misses = near_misses(WANG_ID)

    answered = [register(bob, world.club_a, number).status_code for number in misses[:2]]
    withheld = [register(bob, world.club_a, n) for n in (misses[2], WANG_ID, FRESH_ID)]

    assert answered == [201, 201]
    assert [(r.status_code, r.json()) for r in withheld] == [(400, {"id_number": [LIMITED]})] * 3
    assert [e.lookup_keys for e in entries(world, "bob", "lookup")] == [
        [digest(misses[0])],
        [digest(misses[1])],
    ]
    blocked = entries(world, "bob", "blocked")
    assert [(e.club_id, e.subject_count, e.reason) for e in blocked] == [
        (
            world.club_a.pk,
            0,
            "登记或修改人员时核对身份证号的次数已达上限（24 小时 2 个号码），暂停了 1 次核对",
        )
    ] * 3
    assert register(signed_in(world, "alice"), world.club_a, FRESH_ID).status_code == 201


def test_the_center_sees_the_paused_checks_in_the_access_log(
    world: World, wang: Member, limit: Callable[[int], None]
):
    limit(1)
    bob = signed_in(world, "bob")
    register(bob, world.club_a, near_misses(WANG_ID)[0])
    register(bob, world.club_a, WANG_ID)

    center = signed_in(world, "carol").get("/admin/audit/sensitiveaccess/?action=blocked")

    assert center.status_code == 200
    assert "核对被暂停" in center.content.decode()
    assert "暂停了 1 次核对" in center.content.decode()


def test_registered_elsewhere_answers_count_for_a_director_and_a_repeat_counts_once(
    world: World, wang: Member, club_b_people: list[Member], limit: Callable[[int], None]
):
    limit(2)
    alice = signed_in(world, "alice")

    repeated = [register(alice, world.club_a, ZHAO_ID).json() for _ in range(3)]
    second = register(alice, world.club_a, ZHOU_ID).json()
    third = register(alice, world.club_a, QIAN_ID).json()
    own = register(alice, world.club_a, WANG_ID).json()
    new = register(alice, world.club_a, FRESH_ID).json()

    assert repeated == [{"id_number": [ELSEWHERE]}] * 3
    assert second == {"id_number": [ELSEWHERE]}
    assert third == {"id_number": [LIMITED]}
    # She sees her own club's numbers in full anyway; a new number would tell the
    # withheld ones apart, so it waits too.
    assert own == {"id_number": [ON_THE_ROSTER]}
    assert new == {"id_number": [LIMITED]}
    counted = [key for e in entries(world, "alice", "lookup") for key in e.lookup_keys]
    assert counted == [digest(ZHAO_ID), digest(ZHOU_ID)]


def test_the_count_falls_after_24_hours(
    world: World, club_b_people: list[Member], limit: Callable[[int], None]
):
    limit(1)
    alice = signed_in(world, "alice")
    assert register(alice, world.club_a, ZHAO_ID).json() == {"id_number": [ELSEWHERE]}
    assert register(alice, world.club_a, ZHOU_ID).json() == {"id_number": [LIMITED]}

    with time_machine.travel(NOW + timedelta(hours=23, minutes=59), tick=False):
        still = register(alice, world.club_a, ZHOU_ID).json()
    with time_machine.travel(NOW + timedelta(hours=24, minutes=1), tick=False):
        later = register(alice, world.club_a, ZHOU_ID).json()

    assert still == {"id_number": [LIMITED]}
    assert later == {"id_number": [ELSEWHERE]}


def test_a_cache_outage_neither_opens_nor_breaks_the_limit(
    world: World, club_b_people: list[Member], limit: Callable[[int], None], settings: Any
):
    limit(1)
    alice = world.people["alice"]

    def code_for(number: str) -> str | None:
        with pytest.raises(ValidationError) as refused:
            services.member_create(
                actor=alice, club=world.club_a, person={"name": "某某", "id_number": number}
            )
        return refused.value.error_dict["id_number"][0].code

    first = code_for(ZHAO_ID)
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }

    assert (first, code_for(ZHOU_ID)) == ("registered_elsewhere", "lookup_limited")


# --- the import preview -----------------------------------------------------------------


def test_bobs_one_row_previews_answer_only_within_the_limit(
    world: World, wang: Member, club_b_people: list[Member], limit: Callable[[int], None]
):
    limit(2)
    misses = near_misses(WANG_ID)

    own = outcome(preview(world, "bob", WANG_ID))
    near = outcome(preview(world, "bob", misses[0]))
    elsewhere = outcome(preview(world, "bob", ZHAO_ID))
    past_limit = [outcome(preview(world, "bob", n)) for n in (misses[1], WANG_ID, FRESH_ID)]

    assert own == ((0, 0, 1), [])
    assert near == ((1, 0, 0), [])
    assert elsewhere == ((0, 0, 0), [("registered_elsewhere", ELSEWHERE)])
    assert past_limit == [((0, 0, 0), [("lookup_limited", LIMITED)])] * 3
    logged = entries(world, "bob", "lookup")
    assert [(e.subject_ids, e.lookup_keys) for e in logged] == [
        ([wang.person_id], []),
        ([wang.person_id], [digest(misses[0])]),
        ([club_b_people[0].person_id], [digest(ZHAO_ID)]),
    ]
    assert logged[0].reason == "导入花名册时核对身份证号：本范围内的人员 1 人"
    assert len(entries(world, "bob", "blocked")) == 3


def test_a_club_re_importing_its_own_roster_is_never_limited(
    world: World, limit: Callable[[int], None]
):
    limit(1)
    numbers = [id_number(region="370502", born=date(1940, 1, 1), seq=seq) for seq in range(30)]
    roster = [put_on_roster(world, world.club_a, "某某", number) for number in numbers]

    first = preview(world, "bob", *numbers)
    again = preview(world, "bob", *numbers)
    new = preview(world, "bob", FRESH_ID)

    assert outcome(first) == outcome(again) == ((0, 0, 30), [])
    assert outcome(new) == ((1, 0, 0), [])
    logged = entries(world, "bob", "lookup")
    assert [(len(e.subject_ids), e.lookup_keys) for e in logged] == [(30, []), (30, [])]
    assert set(logged[0].subject_ids) == {member.person_id for member in roster}
    assert entries(world, "bob", "blocked") == []
