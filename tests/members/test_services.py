"""Writes to the registry: one person across roles, transfers, deaths, duties, history, scope."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from pghistory.models import Events

from fuwushe.audit.tracking import acting_as
from fuwushe.org.models import Club
from members import services
from members.models import Member, MemberRole, MemberTransfer, PartyApplicant, Person
from tests.members.ids import id_number
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WANG = id_number(region="370502", born=date(1944, 8, 8), seq=100)
LI = id_number(region="370102", born=date(1951, 10, 2), seq=100, male=False)
ZHAO = id_number(region="110105", born=date(1962, 4, 5), seq=100, male=False)

PersonEvent: Any = Person.pgh_event_model  # type: ignore[attr-defined]
MemberEvent: Any = Member.pgh_event_model  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _frozen_today() -> Iterator[None]:
    """Every test here, the world included, runs on 15 June 2026."""
    with time_machine.travel(NOW, tick=False):
        yield


def make_member(
    world: World, *, who: str = "alice", club: Club | None = None, **person: Any
) -> Member:
    data = {"name": "王允功", "id_number": WANG, "phone": "13854601234", **person}
    return services.member_create(actor=world.people[who], club=club or world.club_a, person=data)


def make_applicant(world: World, *, who: str = "alice", **person: Any) -> PartyApplicant:
    data = {"name": "赵晓凤", "id_number": ZHAO, "phone": "13905461234", **person}
    return services.applicant_create(
        actor=world.people[who], club=world.club_a, person=data, applied_on=date(2020, 3, 1)
    )


def only_error(exc: ValidationError, field: str) -> ValidationError:
    errors = exc.error_dict[field]
    assert len(errors) == 1
    return errors[0]


def context_of(event: Any) -> dict[str, Any]:
    return event.pgh_context.metadata


# --- one person across roles -----------------------------------------------------------


def test_an_applicant_advanced_through_every_stage_becomes_a_member_on_the_same_person(
    world: World,
):
    alice = world.people["alice"]
    applicant = make_applicant(world)
    person_id = applicant.person_id

    for stage, on in [
        (PartyApplicant.Stage.ACTIVIST, date(2020, 9, 1)),
        (PartyApplicant.Stage.CANDIDATE, date(2021, 9, 1)),
        (PartyApplicant.Stage.PROBATIONARY, date(2022, 7, 1)),
        (PartyApplicant.Stage.FULL, date(2023, 7, 1)),
    ]:
        applicant = services.applicant_advance(actor=alice, applicant=applicant, stage=stage, on=on)

    stored = PartyApplicant.objects.get(pk=applicant.pk)
    assert (stored.stage, stored.activist_on, stored.candidate_on) == (
        "full",
        date(2020, 9, 1),
        date(2021, 9, 1),
    )
    assert (stored.probationary_on, stored.full_member_on) == (date(2022, 7, 1), date(2023, 7, 1))
    member = Member.objects.get(person_id=person_id)
    assert (member.club, member.joined_party_on, member.registered_on, member.category) == (
        world.club_a,
        date(2022, 7, 1),  # party age counts from admission as a probationary member
        date(2023, 7, 1),
        "other",
    )
    assert Person.objects.filter(id_number=ZHAO).count() == 1
    assert not PartyApplicant.objects.open().filter(person_id=person_id).exists()


def test_an_application_cannot_skip_a_stage(world: World):
    applicant = make_applicant(world)

    with pytest.raises(ValidationError) as caught:
        services.applicant_advance(
            actor=world.people["alice"],
            applicant=applicant,
            stage=PartyApplicant.Stage.CANDIDATE,
            on=date(2020, 9, 1),
        )

    assert caught.value.message_dict == {
        "stage": ["只能从“入党申请人”进入下一阶段，不能跳过或倒退。"]
    }
    stored = PartyApplicant.objects.get(pk=applicant.pk)
    assert (stored.stage, stored.candidate_on) == ("applicant", None)


def test_an_application_cannot_go_back_a_stage(world: World):
    alice = world.people["alice"]
    applicant = services.applicant_advance(
        actor=alice, applicant=make_applicant(world), stage="activist", on=date(2020, 9, 1)
    )

    with pytest.raises(ValidationError) as caught:
        services.applicant_advance(
            actor=alice, applicant=applicant, stage="applicant", on=date(2020, 10, 1)
        )

    assert caught.value.message_dict == {
        "stage": ["只能从“入党积极分子”进入下一阶段，不能跳过或倒退。"]
    }


def test_a_stage_dated_before_the_previous_one_is_refused(world: World):
    alice = world.people["alice"]
    applicant = make_applicant(world)

    with pytest.raises(ValidationError) as caught:
        services.applicant_advance(
            actor=alice, applicant=applicant, stage="activist", on=date(2020, 2, 29)
        )

    assert caught.value.messages == [
        "各阶段日期须按先后顺序：申请 → 积极分子 → 发展对象 → 预备党员 → 正式党员。"
    ]
    stored = PartyApplicant.objects.get(pk=applicant.pk)
    assert (stored.stage, stored.activist_on) == ("applicant", None)


def test_a_member_cannot_hand_in_a_party_application(world: World):
    make_member(world)

    with pytest.raises(ValidationError) as caught:
        make_applicant(world, id_number=WANG)

    assert caught.value.message_dict == {"id_number": ["此人已是党员，不能登记为入党申请人。"]}


def test_a_person_has_only_one_open_application(world: World):
    make_applicant(world)

    with pytest.raises(ValidationError) as caught:
        make_applicant(world)

    assert caught.value.messages == ["此人已有一份在办的入党申请。"]
    assert PartyApplicant.objects.filter(person__id_number=ZHAO).count() == 1


def test_the_same_id_number_typed_again_in_the_same_club_finds_the_person(world: World):
    alice = world.people["alice"]
    first = services.person_upsert(
        actor=alice, data={"name": "王允功", "id_number": WANG, "phone": "13854601234"}
    )

    again = services.person_upsert(
        actor=alice,
        data={"name": "王 允功", "id_number": f" {WANG[:6]} {WANG[6:]} ", "phone": "0546-8123456"},
    )

    assert again.pk == first.pk
    assert Person.objects.filter(id_number=WANG).count() == 1
    assert Person.objects.get(pk=first.pk).phone == "0546-8123456"


def test_an_applicant_put_on_the_roster_of_the_same_club_keeps_one_person(world: World):
    applicant = make_applicant(world)

    member = make_member(world, name="赵晓凤", id_number=ZHAO.lower())

    assert member.person_id == applicant.person_id
    assert Person.objects.filter(id_number=ZHAO).count() == 1


def test_the_same_member_cannot_be_put_on_the_roster_twice(world: World):
    make_member(world)

    with pytest.raises(ValidationError) as caught:
        make_member(world, who="bob")

    error = only_error(caught.value, "id_number")
    assert error.code == "duplicate_id"
    assert error.messages == ["该身份证号的党员已在“甲小区党员服务社”的名册中。"]
    assert Member.objects.filter(person__id_number=WANG).count() == 1


def test_a_member_of_another_club_is_found_not_duplicated_and_only_the_club_is_named(
    world: World,
):
    original = make_member(world, name="王允功", phone="13854601234", building="12")
    people_before = Person.objects.count()

    with pytest.raises(ValidationError) as caught:
        make_member(world, who="charlie", club=world.club_b, name="王云公", phone="13900001111")

    error = only_error(caught.value, "id_number")
    assert error.code == "registered_elsewhere"
    message = error.messages[0]
    assert message == (
        "该身份证号的人员已在“甲小区党员服务社”登记，不能重复登记。"
        "如需转入，请由该服务社发起党员转接。"
    )
    for secret in (WANG, "王允功", "13854601234", "138****1234", "12"):
        assert secret not in message
    assert Person.objects.count() == people_before
    person = Person.objects.get(pk=original.person_id)
    assert (person.name, person.phone) == ("王允功", "13854601234")
    assert not Member.objects.filter(club=world.club_b, person=person).exists()


def test_an_applicant_of_another_club_is_found_not_duplicated(world: World):
    applicant = make_applicant(world, name="赵晓凤", phone="13905461234")

    with pytest.raises(ValidationError) as caught:
        make_member(world, who="charlie", club=world.club_b, name="赵晓凤", id_number=ZHAO)

    error = only_error(caught.value, "id_number")
    assert error.code == "registered_elsewhere"
    assert "已在“甲小区党员服务社”登记" in error.messages[0]
    assert "赵晓凤" not in error.messages[0]
    assert "13905461234" not in error.messages[0]
    assert Person.objects.filter(id_number=ZHAO).get().pk == applicant.person_id
    assert not Member.objects.filter(person_id=applicant.person_id).exists()


def test_another_club_cannot_take_someone_elses_member_as_an_applicant(world: World):
    make_member(world)

    with pytest.raises(ValidationError) as caught:
        services.applicant_create(
            actor=world.people["charlie"],
            club=world.club_b,
            person={"name": "王允功", "id_number": WANG},
            applied_on=date(2026, 6, 1),
        )

    assert only_error(caught.value, "id_number").code == "registered_elsewhere"
    assert not PartyApplicant.objects.filter(person__id_number=WANG).exists()


def test_changing_an_id_number_to_another_clubs_member_names_that_club(world: World):
    make_member(world)
    theirs = make_member(
        world, who="charlie", club=world.club_b, name="李秀英", id_number=LI, phone=""
    )

    with pytest.raises(ValidationError) as caught:
        services.member_update(
            actor=world.people["charlie"], member=theirs, person={"id_number": WANG}
        )

    error = only_error(caught.value, "id_number")
    assert error.code == "registered_elsewhere"
    assert "已在“甲小区党员服务社”登记" in error.messages[0]
    assert Person.objects.get(pk=theirs.person_id).id_number == LI


def test_the_center_is_told_which_club_already_holds_the_member(world: World):
    make_member(world)

    with pytest.raises(ValidationError) as caught:
        make_member(world, who="carol", club=world.club_b)

    error = only_error(caught.value, "id_number")
    assert (error.code, error.messages) == (
        "duplicate_id",
        ["该身份证号的党员已在“甲小区党员服务社”的名册中。"],
    )


def test_nobody_can_register_a_member_in_a_club_outside_their_scope(world: World):
    with pytest.raises(PermissionDenied) as caught:
        make_member(world, who="bob", club=world.club_b)
    assert str(caught.value) == "您无权管理“乙小区党员服务社”的人员。"
    with pytest.raises(PermissionDenied):
        make_member(world, who="dora", club=world.club_b)

    assert not Person.objects.filter(id_number=WANG).exists()


def test_nobody_can_change_a_person_outside_their_scope(world: World):
    member = make_member(world)

    with pytest.raises(PermissionDenied) as caught:
        services.person_update(
            actor=world.people["charlie"], person=member.person, data={"phone": "13900001111"}
        )

    assert str(caught.value) == "您无权修改此人的信息。"

    assert Person.objects.get(pk=member.person_id).phone == "13854601234"


def test_a_gender_changed_alone_must_still_agree_with_the_stored_id_number(world: World):
    member = make_member(world)

    with pytest.raises(ValidationError) as caught:
        services.member_update(
            actor=world.people["alice"], member=member, person={"gender": "female"}
        )

    assert only_error(caught.value, "gender").code == "id_gender_mismatch"


def test_a_birth_date_changed_alone_must_still_agree_with_the_stored_id_number(world: World):
    member = make_member(world)

    with pytest.raises(ValidationError) as caught:
        services.member_update(
            actor=world.people["alice"], member=member, person={"birth_date": date(1944, 8, 9)}
        )

    assert only_error(caught.value, "birth_date").code == "id_birth_mismatch"


def test_a_changed_id_number_brings_its_birth_date_and_gender(world: World):
    member = make_member(world)

    services.member_update(
        actor=world.people["alice"],
        member=member,
        person={"id_number": LI, "birth_date": None, "gender": ""},
    )

    person = Person.objects.get(pk=member.person_id)
    assert (person.id_number, person.birth_date, person.gender) == (
        LI,
        date(1951, 10, 2),
        "female",
    )


# --- transfers -------------------------------------------------------------------------


def test_a_transfer_shows_the_member_to_the_receiving_club_only_once_it_accepts(world: World):
    alice, bob, charlie, dora = (world.people[n] for n in ("alice", "bob", "charlie", "dora"))
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="publicity", started_on=date(2025, 1, 1)
    )
    transfer = services.member_transfer_request(
        actor=alice, member=member, to_club=world.club_b, reason="随子女迁居乙小区"
    )

    assert not Member.objects.for_user(charlie).filter(pk=member.pk).exists()
    assert not Person.objects.for_user(charlie).filter(pk=member.person_id).exists()
    for user in (alice, bob, charlie, dora):
        assert MemberTransfer.objects.for_user(user).filter(pk=transfer.pk).exists()

    with pytest.raises(PermissionDenied) as caught:
        services.member_transfer_accept(actor=bob, transfer=transfer)
    assert str(caught.value) == "您无权管理“乙小区党员服务社”的人员。"
    with pytest.raises(PermissionDenied):
        services.member_transfer_accept(actor=alice, transfer=transfer)
    with time_machine.travel(datetime(2026, 6, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        services.member_transfer_accept(actor=charlie, transfer=transfer, note="已核对")

    stored = Member.objects.get(pk=member.pk)
    assert (stored.club, stored.registered_on, stored.status) == (
        world.club_b,
        date(2026, 6, 20),
        "active",
    )
    assert Member.objects.for_user(charlie).filter(pk=member.pk).exists()
    assert Person.objects.for_user(charlie).filter(pk=member.person_id).exists()
    for user in (alice, bob, dora):
        assert not Member.objects.for_user(user).filter(pk=member.pk).exists()
        assert not Person.objects.for_user(user).filter(pk=member.person_id).exists()
    assert MemberRole.objects.get(pk=role.pk).ended_on == date(2026, 6, 20)


def test_an_accepted_transfer_is_kept_and_the_club_change_is_in_the_history(world: World):
    member = make_member(world)
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=member, to_club=world.club_b
    )

    services.member_transfer_accept(actor=world.people["charlie"], transfer=transfer)

    kept = MemberTransfer.objects.get(pk=transfer.pk)
    assert (kept.status, kept.from_club, kept.to_club) == ("accepted", world.club_a, world.club_b)
    assert (kept.requested_by, kept.decided_by, kept.decided_at) == (
        world.people["alice"],
        world.people["charlie"],
        NOW,
    )
    history = MemberEvent.objects.filter(pgh_obj=member).order_by("pgh_id")
    assert list(history.values_list("pgh_label", "club_id")) == [
        ("insert", world.club_a.pk),
        ("update", world.club_b.pk),
    ]
    assert list(
        Events.objects.tracks(transfer)
        .order_by("pgh_created_at", "pgh_id")
        .values_list("pgh_label", "pgh_data__status")
    ) == [("insert", "pending"), ("update", "accepted")]


def test_the_receiving_club_can_decline_and_the_member_stays(world: World):
    member = make_member(world)
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=member, to_club=world.club_b
    )

    with pytest.raises(PermissionDenied):
        services.member_transfer_decline(
            actor=world.people["alice"], transfer=transfer, note="不接收"
        )
    services.member_transfer_decline(
        actor=world.people["charlie"], transfer=transfer, note="不在本小区居住"
    )

    kept = MemberTransfer.objects.get(pk=transfer.pk)
    assert (kept.status, kept.decided_by, kept.decision_note) == (
        "rejected",
        world.people["charlie"],
        "不在本小区居住",
    )
    assert Member.objects.get(pk=member.pk).club == world.club_a
    assert Member.objects.for_user(world.people["alice"]).filter(pk=member.pk).exists()


def test_the_sending_club_can_withdraw_a_transfer_and_ask_again(world: World):
    member = make_member(world)
    alice = world.people["alice"]
    transfer = services.member_transfer_request(actor=alice, member=member, to_club=world.club_b)

    with pytest.raises(PermissionDenied):
        services.member_transfer_decline(
            actor=world.people["charlie"], transfer=transfer, note="撤回", cancel=True
        )
    services.member_transfer_decline(actor=alice, transfer=transfer, note="填错了", cancel=True)
    again = services.member_transfer_request(actor=alice, member=member, to_club=world.club_b)

    assert MemberTransfer.objects.get(pk=transfer.pk).status == "cancelled"
    assert again.status == "pending"
    assert Member.objects.get(pk=member.pk).club == world.club_a


def test_a_decided_transfer_cannot_be_accepted_any_more(world: World):
    member = make_member(world)
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=member, to_club=world.club_b
    )
    services.member_transfer_decline(actor=world.people["charlie"], transfer=transfer, note="否")

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_accept(actor=world.people["charlie"], transfer=transfer)

    assert caught.value.messages[0].endswith("，不能再处理。")
    assert Member.objects.get(pk=member.pk).club == world.club_a


def test_the_refusal_of_a_decided_transfer_reads_correctly(world: World):
    member = make_member(world)
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=member, to_club=world.club_b
    )
    services.member_transfer_decline(actor=world.people["charlie"], transfer=transfer, note="否")

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_accept(actor=world.people["charlie"], transfer=transfer)

    assert caught.value.messages == ["该转接已退回，不能再处理。"]


def test_a_second_pending_transfer_is_refused(world: World):
    member = make_member(world)
    alice = world.people["alice"]
    services.member_transfer_request(actor=alice, member=member, to_club=world.club_b)
    other = Club.objects.create(code="T003", name="丙小区党员服务社", department=world.department1)

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_request(actor=alice, member=member, to_club=other)

    assert caught.value.messages == ["该党员已有一个待接收的转接申请。"]
    assert MemberTransfer.objects.filter(member=member).count() == 1


def test_a_transfer_to_the_same_club_is_refused(world: World):
    member = make_member(world)

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_request(
            actor=world.people["alice"], member=member, to_club=world.club_a
        )

    assert caught.value.messages == ["转入服务社不能与转出服务社相同。"]


def test_a_transfer_to_a_closed_club_is_refused(world: World):
    member = make_member(world)
    closed = Club.objects.create(
        code="T004", name="丁小区党员服务社", department=world.department2, status="closed"
    )

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_request(actor=world.people["alice"], member=member, to_club=closed)

    assert caught.value.message_dict == {"to_club": ["“丁小区党员服务社”已不在运行，不能转入。"]}


def test_a_deceased_member_cannot_be_transferred(world: World):
    member = make_member(world)
    services.member_mark_deceased(actor=world.people["alice"], member=member, died_on=TODAY)

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_request(
            actor=world.people["alice"], member=member, to_club=world.club_b
        )

    assert caught.value.messages == ["只有在册党员才能转接。"]
    assert not MemberTransfer.objects.filter(member=member).exists()


def test_a_transfer_cannot_be_accepted_after_the_member_died(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    transfer = services.member_transfer_request(actor=alice, member=member, to_club=world.club_b)
    services.member_mark_deceased(actor=alice, member=member, died_on=date(2026, 6, 10))

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_accept(actor=world.people["charlie"], transfer=transfer)

    assert caught.value.messages[0].endswith("撤回，不能再处理。")
    kept = MemberTransfer.objects.get(pk=transfer.pk)
    assert (kept.status, kept.decision_note) == ("cancelled", "党员已故，转接自动撤回。")
    stored = Member.objects.get(pk=member.pk)
    assert (stored.club, stored.status) == (world.club_a, "deceased")


def test_a_transfer_left_pending_when_the_member_died_outside_the_services_is_refused(
    world: World,
):
    member = make_member(world)
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=member, to_club=world.club_b
    )
    Member.objects.filter(pk=member.pk).update(status="deceased", died_on=date(2026, 6, 1))

    with pytest.raises(ValidationError) as caught:
        services.member_transfer_accept(actor=world.people["charlie"], transfer=transfer)

    assert caught.value.messages == ["该党员的所属服务社或状态已变化，此转接不能再接收。"]
    assert Member.objects.get(pk=member.pk).club == world.club_a


# --- deceased and moved away -----------------------------------------------------------


def test_a_deceased_member_stays_on_record_and_drops_out_of_care(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="patrol_captain", started_on=date(2024, 1, 1)
    )
    assert Member.objects.in_care().filter(pk=member.pk).exists()

    services.member_mark_deceased(actor=alice, member=member, died_on=date(2026, 6, 10))

    stored = Member.objects.get(pk=member.pk)
    assert (stored.status, stored.died_on, stored.left_on) == ("deceased", date(2026, 6, 10), None)
    assert not Member.objects.in_care().filter(pk=member.pk).exists()
    assert Member.objects.for_user(alice).filter(pk=member.pk).exists()
    assert MemberRole.objects.get(pk=role.pk).ended_on == date(2026, 6, 10)
    assert not MemberRole.objects.current().filter(member=member).exists()


def test_a_death_dated_after_today_is_refused(world: World):
    member = make_member(world)

    with pytest.raises(ValidationError) as caught:
        services.member_mark_deceased(
            actor=world.people["alice"], member=member, died_on=date(2026, 6, 16)
        )

    assert caught.value.message_dict == {"died_on": ["去世日期不能晚于今天。"]}
    stored = Member.objects.get(pk=member.pk)
    assert (stored.status, stored.died_on) == ("active", None)


def test_a_death_dated_before_birth_is_refused(world: World):
    member = make_member(world)

    with pytest.raises(ValidationError) as caught:
        services.member_mark_deceased(
            actor=world.people["alice"], member=member, died_on=date(1944, 8, 7)
        )

    assert caught.value.message_dict == {"died_on": ["去世日期不能早于出生日期。"]}


def test_another_club_cannot_record_a_death(world: World):
    member = make_member(world)

    with pytest.raises(PermissionDenied):
        services.member_mark_deceased(actor=world.people["charlie"], member=member, died_on=TODAY)

    assert Member.objects.get(pk=member.pk).status == "active"


def test_a_death_reported_late_closes_a_role_begun_after_it(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="liaison", started_on=date(2026, 6, 1)
    )

    services.member_mark_deceased(actor=alice, member=member, died_on=date(2026, 5, 20))

    assert MemberRole.objects.get(pk=role.pk).ended_on is not None
    assert Member.objects.get(pk=member.pk).status == "deceased"


def test_a_member_who_moved_away_stays_on_record_and_drops_out_of_care(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="mediation", started_on=date(2024, 1, 1)
    )
    transfer = services.member_transfer_request(actor=alice, member=member, to_club=world.club_b)

    services.member_mark_moved_away(
        actor=alice, member=member, left_on=date(2026, 6, 1), note="随子女迁往青岛"
    )

    stored = Member.objects.get(pk=member.pk)
    assert (stored.status, stored.left_on, stored.died_on, stored.notes) == (
        "moved_away",
        date(2026, 6, 1),
        None,
        "随子女迁往青岛",
    )
    assert not Member.objects.in_care().filter(pk=member.pk).exists()
    assert MemberRole.objects.get(pk=role.pk).ended_on == date(2026, 6, 1)
    kept = MemberTransfer.objects.get(pk=transfer.pk)
    assert (kept.status, kept.decision_note) == ("cancelled", "党员已迁出，转接自动撤回。")


def test_only_an_active_member_can_move_away(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    services.member_mark_deceased(actor=alice, member=member, died_on=TODAY)

    with pytest.raises(ValidationError) as caught:
        services.member_mark_moved_away(actor=alice, member=member, left_on=TODAY)

    assert caught.value.messages == ["只有在册党员才能登记迁出。"]


def test_a_move_dated_after_today_is_refused(world: World):
    member = make_member(world)

    with pytest.raises(ValidationError):
        services.member_mark_moved_away(
            actor=world.people["alice"], member=member, left_on=date(2026, 7, 1)
        )

    assert Member.objects.get(pk=member.pk).status == "active"


def test_the_database_refuses_a_deceased_member_without_a_date(world: World):
    from django.db import IntegrityError, transaction

    member = make_member(world)

    with pytest.raises(IntegrityError, match="member_status_dates"), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(status="deceased")


# --- duties ----------------------------------------------------------------------------


def test_a_duty_is_held_from_a_date_and_ended_on_another(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="volunteer_captain", started_on=date(2025, 1, 1)
    )

    assert list(MemberRole.objects.current().filter(member=member)) == [role]
    services.member_role_end(actor=alice, assignment=role, ended_on=date(2026, 6, 14))

    assert MemberRole.objects.get(pk=role.pk).ended_on == date(2026, 6, 14)
    assert not MemberRole.objects.current().filter(member=member).exists()
    assert MemberRole.objects.current(on=date(2026, 6, 14)).filter(member=member).exists()


def test_the_same_duty_cannot_be_held_twice_at_once(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    services.member_role_assign(actor=alice, member=member, role="publicity")

    with pytest.raises(ValidationError) as caught:
        services.member_role_assign(actor=alice, member=member, role="publicity")

    assert caught.value.messages == ["该党员已担任此职务（未结束），不能重复登记。"]


def test_a_duty_cannot_end_before_it_starts(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="security", started_on=date(2026, 1, 1)
    )

    with pytest.raises(ValidationError) as caught:
        services.member_role_end(actor=alice, assignment=role, ended_on=date(2025, 12, 31))

    assert caught.value.messages == ["结束日期不能早于开始日期。"]
    assert MemberRole.objects.get(pk=role.pk).ended_on is None


def test_another_club_cannot_assign_a_duty(world: World):
    member = make_member(world)

    with pytest.raises(PermissionDenied):
        services.member_role_assign(actor=world.people["charlie"], member=member, role="liaison")

    assert not MemberRole.objects.filter(member=member).exists()


# --- audit history ---------------------------------------------------------------------


def test_registering_a_member_is_in_the_history_with_who_and_from_where(world: World):
    alice = world.people["alice"]

    with acting_as(alice, source="import"):
        member = make_member(world)

    person_event = PersonEvent.objects.get(pgh_obj_id=member.person_id, pgh_label="insert")
    member_event = MemberEvent.objects.get(pgh_obj=member, pgh_label="insert")
    assert (person_event.id_number, person_event.phone) == (WANG, "13854601234")
    assert member_event.club_id == world.club_a.pk
    assert context_of(person_event) == {"user": alice.pk, "source": "import"}
    assert context_of(member_event) == {"user": alice.pk, "source": "import"}


def test_a_phone_change_through_member_update_is_in_the_history(world: World):
    alice = world.people["alice"]
    member = make_member(world)

    with acting_as(alice, source="import"):
        services.member_update(
            actor=alice, member=member, person={"phone": "0546 8123456"}, lives_alone=True
        )

    person_event = PersonEvent.objects.get(pgh_obj_id=member.person_id, pgh_label="update")
    assert person_event.phone == "0546-8123456"
    assert context_of(person_event) == {"user": alice.pk, "source": "import"}
    member_event = MemberEvent.objects.get(pgh_obj=member, pgh_label="update")
    assert member_event.lives_alone is True
    assert context_of(member_event) == {"user": alice.pk, "source": "import"}


def test_an_accepted_transfer_is_in_the_history_with_who_accepted_it(world: World):
    charlie = world.people["charlie"]
    member = make_member(world)
    transfer = services.member_transfer_request(
        actor=world.people["alice"], member=member, to_club=world.club_b
    )

    with acting_as(charlie, source="api"):
        services.member_transfer_accept(actor=charlie, transfer=transfer)

    member_event = MemberEvent.objects.get(pgh_obj=member, pgh_label="update")
    transfer_event = MemberTransfer.pgh_event_model.objects.get(  # type: ignore[attr-defined]
        pgh_obj=transfer, pgh_label="update"
    )
    assert (member_event.club_id, transfer_event.status) == (world.club_b.pk, "accepted")
    assert context_of(member_event) == {"user": charlie.pk, "source": "api"}
    assert context_of(transfer_event) == {"user": charlie.pk, "source": "api"}


def test_a_death_is_in_the_history_with_who_recorded_it(world: World):
    alice = world.people["alice"]
    member = make_member(world)
    role = services.member_role_assign(
        actor=alice, member=member, role="education", started_on=date(2025, 1, 1)
    )

    with acting_as(alice, source="import"):
        services.member_mark_deceased(actor=alice, member=member, died_on=date(2026, 6, 1))

    member_event = MemberEvent.objects.get(pgh_obj=member, pgh_label="update")
    assert (member_event.status, member_event.died_on) == ("deceased", date(2026, 6, 1))
    assert context_of(member_event) == {"user": alice.pk, "source": "import"}
    role_event = MemberRole.pgh_event_model.objects.get(  # type: ignore[attr-defined]
        pgh_obj=role, pgh_label="update"
    )
    assert role_event.ended_on == date(2026, 6, 1)
    assert context_of(role_event) == {"user": alice.pk, "source": "import"}


def test_a_bulk_update_around_the_services_is_in_the_history(world: World):
    alice = world.people["alice"]
    first = make_member(world)
    second = make_member(world, name="李秀英", id_number=LI, phone="")

    with acting_as(alice, source="import"):
        changed = Member.objects.filter(pk__in=[first.pk, second.pk]).update(hardship=True)

    assert changed == 2
    events = MemberEvent.objects.filter(pgh_obj__in=[first, second], pgh_label="update")
    assert sorted(events.values_list("pgh_obj_id", "hardship")) == sorted(
        [(first.pk, True), (second.pk, True)]
    )
    assert {tuple(sorted(context_of(e).items())) for e in events} == {
        (("source", "import"), ("user", alice.pk))
    }
    assert {
        (row.pgh_label, row.pgh_context["source"])
        for row in Events.objects.tracks(first).filter(pgh_label="update")
    } == {("update", "import")}


# --- scope -----------------------------------------------------------------------------


def _members_seen(user: Any, *members: Member) -> set[str]:
    ids = [m.pk for m in members]
    return set(
        Member.objects.for_user(user).filter(pk__in=ids).values_list("person__name", flat=True)
    )


def test_each_user_sees_the_members_of_their_scope(world: World):
    ours = make_member(world)
    theirs = make_member(
        world, who="charlie", club=world.club_b, name="李秀英", id_number=LI, phone=""
    )

    assert _members_seen(world.people["alice"], ours, theirs) == {"王允功"}
    assert _members_seen(world.people["bob"], ours, theirs) == {"王允功"}
    assert _members_seen(world.people["dora"], ours, theirs) == {"王允功"}
    assert _members_seen(world.people["charlie"], ours, theirs) == {"李秀英"}
    assert _members_seen(world.people["carol"], ours, theirs) == {"王允功", "李秀英"}
    assert _members_seen(world.people["anonymous"], ours, theirs) == set()


def test_a_person_is_seen_where_they_are_a_member_or_an_applicant(world: World):
    member = make_member(world)
    applicant = make_applicant(world)
    theirs = make_member(
        world, who="charlie", club=world.club_b, name="李秀英", id_number=LI, phone=""
    )
    ids = [member.person_id, applicant.person_id, theirs.person_id]

    def seen(who: str) -> set[str]:
        people = Person.objects.for_user(world.people[who]).filter(pk__in=ids)
        return set(people.values_list("name", flat=True))

    assert seen("alice") == {"王允功", "赵晓凤"}
    assert seen("bob") == {"王允功", "赵晓凤"}
    assert seen("dora") == {"王允功", "赵晓凤"}
    assert seen("charlie") == {"李秀英"}
    assert seen("carol") == {"王允功", "赵晓凤", "李秀英"}


def test_applicants_and_duties_follow_the_club(world: World):
    applicant = make_applicant(world)
    member = make_member(world)
    role = services.member_role_assign(actor=world.people["alice"], member=member, role="liaison")

    for who, sees in [("alice", True), ("dora", True), ("charlie", False), ("carol", True)]:
        user = world.people[who]
        assert PartyApplicant.objects.for_user(user).filter(pk=applicant.pk).exists() is sees
        assert MemberRole.objects.for_user(user).filter(pk=role.pk).exists() is sees


def _through_every_stage(world: World, seq: int) -> PartyApplicant:
    alice = world.people["alice"]
    applicant = services.applicant_create(
        actor=alice,
        club=world.club_a,
        person={"name": "入党后转走", "id_number": id_number(seq=seq), "phone": "13811112222"},
        applied_on=date(2020, 1, 1),
    )
    for stage, on in [
        ("activist", date(2020, 7, 1)),
        ("candidate", date(2021, 7, 1)),
        ("probationary", date(2022, 7, 1)),
        ("full", date(2023, 7, 1)),
    ]:
        applicant = services.applicant_advance(actor=alice, applicant=applicant, stage=stage, on=on)
    return applicant


def test_after_a_transfer_the_old_club_no_longer_reaches_a_member_it_admitted(world: World):
    alice, charlie = world.people["alice"], world.people["charlie"]
    applicant = _through_every_stage(world, seq=401)
    member = Member.objects.get(person=applicant.person)
    transfer = services.member_transfer_request(actor=alice, member=member, to_club=world.club_b)
    services.member_transfer_accept(actor=charlie, transfer=transfer)

    assert not Person.objects.for_user(alice).filter(pk=member.person_id).exists()
    assert not PartyApplicant.objects.for_user(alice).filter(pk=applicant.pk).exists()
    assert PartyApplicant.objects.for_user(charlie).filter(pk=applicant.pk).exists()
    with pytest.raises(PermissionDenied):
        services.person_update(actor=alice, person=member.person, data={"phone": "13900000000"})


def test_finishing_an_application_for_someone_already_on_the_roster_is_refused(world: World):
    alice = world.people["alice"]
    person = {"name": "已在名册", "id_number": id_number(seq=402)}
    applicant = services.applicant_create(
        actor=alice, club=world.club_a, person=person, applied_on=date(2020, 1, 1)
    )
    for stage, on in [
        ("activist", date(2020, 7, 1)),
        ("candidate", date(2021, 7, 1)),
        ("probationary", date(2022, 7, 1)),
    ]:
        applicant = services.applicant_advance(actor=alice, applicant=applicant, stage=stage, on=on)
    services.member_create(actor=alice, club=world.club_a, person=person)

    with pytest.raises(ValidationError) as refused:
        services.applicant_advance(
            actor=alice, applicant=applicant, stage="full", on=date(2023, 7, 1)
        )

    assert "已在党员名册中" in str(refused.value)
    assert PartyApplicant.objects.get(pk=applicant.pk).stage == "probationary"


def test_a_party_date_before_fourteen_or_in_the_future_is_refused(world: World):
    person = {"name": "日期不对", "id_number": id_number(born=date(1945, 3, 1), seq=403)}

    for joined in (date(1950, 1, 1), date(2030, 1, 1)):
        with pytest.raises(ValidationError) as refused:
            services.member_create(
                actor=world.people["alice"],
                club=world.club_a,
                person=person,
                joined_party_on=joined,
            )
        assert "入党时间不对" in str(refused.value)
