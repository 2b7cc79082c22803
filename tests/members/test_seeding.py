import hashlib
import random
import time
from collections import Counter
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from fuwushe.org import seed_data as org_seed_data
from fuwushe.org.models import Club, User
from fuwushe.seeding import SCALES, SeedContext
from members.identity import id_birth_date, id_gender, pinyin_columns, validate_id_number
from members.models import Category, Member, MemberRole, MemberTag, PartyApplicant, Person
from members.seeding import (
    AS_OF,
    FULL_MEMBERS,
    age_on,
    club_sizes,
    plan_members,
    roster_clubs,
    roster_rows,
)
from members.services import applicant_advance, member_update

# What differs between two admissions: the row, the person, the club and the dates.
ADMISSION_OWN = {"id", "person_id", "club_id", "joined_party_on", "registered_on"}

SEEDED_MODELS: list[Any] = [Person, Member, MemberTag, MemberRole, PartyApplicant]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def checksum() -> str:
    digest = hashlib.sha256()
    for model in SEEDED_MODELS:
        for row in model.objects.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


def audit_events() -> int:
    return sum(model.pgh_event_model.objects.count() for model in SEEDED_MODELS)


def stream(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - demo data, not secrets


def small(seed: int = 2007) -> SeedContext:
    return SeedContext(scale=SCALES["small"], seed=seed)


@pytest.mark.django_db
def test_the_small_scale_puts_members_in_every_active_club():
    output = seed()

    per_club = dict(Club.objects.active().annotate(n=Count("members")).values_list("code", "n"))
    assert len(per_club) == 76
    assert min(per_club.values()) >= 1
    assert sum(per_club.values()) == pytest.approx(SCALES["small"].count(FULL_MEMBERS), rel=0.05)
    assert "members: 党员" in output


@pytest.mark.django_db
def test_every_seeded_person_has_a_valid_unique_id_number_agreeing_with_birth_and_gender():
    seed()

    people = list(Person.objects.values_list("id_number", "birth_date", "gender"))
    assert people
    for number, birth_date, gender in people:
        assert validate_id_number(number) == number
        assert id_birth_date(number) == birth_date
        assert id_gender(number) == gender
    assert len({number for number, _, _ in people}) == len(people)


@pytest.mark.django_db
def test_the_pinyin_columns_are_filled_as_the_services_fill_them():
    seed()

    for name, pinyin, initials in Person.objects.values_list(
        "name", "name_pinyin", "name_initials"
    ):
        assert (pinyin, initials) == pinyin_columns(name)
        assert pinyin and initials


@pytest.mark.django_db
def test_every_member_is_60_to_100_and_joined_the_party_as_an_adult():
    seed()

    # Applicants admitted as full members are younger: they are checked on their own below.
    rostered = Member.objects.exclude(person__applications__stage=PartyApplicant.Stage.FULL)
    for birth_date, joined in rostered.values_list("person__birth_date", "joined_party_on"):
        assert 60 <= age_on(birth_date) <= 100
        assert joined is not None and age_on(birth_date, joined) >= 18
        assert joined <= AS_OF


@pytest.mark.django_db
def test_each_member_lives_in_a_community_their_club_serves():
    seed()

    assert not Member.objects.exclude(club=F("person__community__club")).exists()


@pytest.mark.django_db
def test_running_it_twice_changes_nothing():
    seed()
    before, total, events = checksum(), counts(), audit_events()

    output = seed()

    assert counts() == total
    assert checksum() == before
    assert audit_events() == events
    assert "本次新增 0 条（已有的记录不改动）" in output


@pytest.mark.django_db
def test_running_it_again_keeps_the_edits_made_to_a_member():
    seed()
    center_admin = User.objects.get(username="center_admin")
    member = Member.objects.select_related("person").order_by("pk").first()
    lives_alone = member.lives_alone
    member_update(
        actor=center_admin,
        member=member,
        person={"phone": "13900000000"},
        former_unit="胜利油田改正后的单位",
        lives_alone=not lives_alone,
    )
    other_club = Club.objects.active().exclude(pk=member.club_id).order_by("code").first()
    Member.objects.filter(pk=member.pk).update(
        club=other_club, status=Member.Status.DECEASED, died_on=date(2026, 3, 1)
    )
    people, members = Person.objects.count(), Member.objects.count()

    output = seed()

    member.refresh_from_db()
    member.person.refresh_from_db()
    assert member.person.phone == "13900000000"
    assert member.former_unit == "胜利油田改正后的单位"
    assert member.lives_alone is not lives_alone
    assert (member.club, member.status, member.died_on) == (
        other_club,
        Member.Status.DECEASED,
        date(2026, 3, 1),
    )
    assert (Person.objects.count(), Member.objects.count()) == (people, members)
    assert "本次新增 0 条" in output


@pytest.mark.django_db
def test_running_it_again_leaves_an_ended_duty_ended_and_a_removed_tag_removed():
    seed()
    duty = MemberRole.objects.order_by("pk").first()
    MemberRole.objects.filter(pk=duty.pk).update(ended_on=date(2026, 6, 30))
    tag = MemberTag.objects.order_by("pk").first()
    tag.delete()
    duties = MemberRole.objects.count()

    seed()

    assert MemberRole.objects.get(pk=duty.pk).ended_on == date(2026, 6, 30)
    assert not MemberRole.objects.filter(member=duty.member, role=duty.role, ended_on=None).exists()
    assert MemberRole.objects.count() == duties
    assert not MemberTag.objects.filter(member=tag.member_id, tag=tag.tag_id).exists()


@pytest.mark.django_db
def test_running_it_again_creates_a_deleted_demo_member_and_nothing_else():
    seed()
    member = Member.objects.order_by("-pk").first()
    MemberTag.objects.filter(member=member).delete()
    MemberRole.objects.filter(member=member).delete()
    member.delete()
    members = Member.objects.count()

    seed()

    assert Member.objects.count() == members + 1
    assert Member.objects.filter(person=member.person_id).exists()


@pytest.mark.django_db
def test_deceased_and_moved_away_members_carry_their_dates():
    seed()

    assert Member.objects.filter(status=Member.Status.DECEASED, died_on__isnull=True).count() == 0
    assert Member.objects.filter(status=Member.Status.MOVED_AWAY, left_on__isnull=True).count() == 0
    assert (
        Member.objects.filter(status=Member.Status.ACTIVE).count() > 0.95 * Member.objects.count()
    )


@pytest.mark.django_db
def test_clubs_have_a_few_of_the_three_captains_and_six_officers():
    seed()

    per_club = list(
        MemberRole.objects.values("member__club")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert len(per_club) > 60
    assert max(per_club) <= len(MemberRole.Role)
    assert not MemberRole.objects.exclude(member__status=Member.Status.ACTIVE).exists()


@pytest.mark.django_db
def test_open_party_applications_are_of_people_who_are_not_members():
    seed()

    applicants = PartyApplicant.objects.all()
    assert applicants.count() == SCALES["small"].count(200)
    assert applicants.exclude(stage=PartyApplicant.Stage.FULL).exists()
    assert not applicants.exclude(stage=PartyApplicant.Stage.FULL).filter(
        person__member__isnull=False
    )


@pytest.mark.django_db
def test_an_applicant_admitted_as_a_full_member_is_on_the_roster_of_her_club():
    seed()

    admitted = PartyApplicant.objects.filter(stage=PartyApplicant.Stage.FULL).select_related(
        "person__member"
    )
    assert admitted
    for applicant in admitted:
        member = applicant.person.member
        assert (member.club_id, member.status, member.category) == (
            applicant.club_id,
            Member.Status.ACTIVE,
            Category.OTHER,
        )
        assert member.joined_party_on == applicant.probationary_on
        assert member.registered_on == applicant.full_member_on


@pytest.mark.django_db
def test_the_seeded_admission_is_the_one_the_service_makes():
    seed()
    center_admin = User.objects.get(username="center_admin")
    seeded = Member.objects.get(person__applications__stage=PartyApplicant.Stage.FULL)
    probationary = PartyApplicant.objects.get(stage=PartyApplicant.Stage.PROBATIONARY)

    applicant_advance(
        actor=center_admin, applicant=probationary, stage=PartyApplicant.Stage.FULL, on=AS_OF
    )

    by_service = Member.objects.get(person=probationary.person_id)
    same = [f.attname for f in Member._meta.concrete_fields if f.attname not in ADMISSION_OWN]
    assert [getattr(seeded, name) for name in same] == [getattr(by_service, name) for name in same]


@pytest.mark.django_db
def test_every_seeded_person_is_held_by_a_member_or_an_open_application():
    seed()
    seed("--seed", "3")

    open_application = PartyApplicant.objects.exclude(stage=PartyApplicant.Stage.FULL)
    unheld = Person.objects.filter(member__isnull=True).exclude(
        pk__in=open_application.values("person")
    )
    assert Person.objects.count() > 1500
    assert list(unheld.values_list("name", flat=True)) == []


@pytest.mark.django_db
def test_seeded_writes_are_attributed_to_seed_demo_in_the_audit_history():
    seed()

    event = Person.pgh_event_model.objects.order_by("pgh_id").first()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["source"] == "seed_demo"
    assert Member.pgh_event_model.objects.count() == Member.objects.count()  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_care_flags_come_at_plausible_rates():
    seed()
    members = Member.objects.all()
    n = members.count()

    def share(**flag: bool) -> float:
        return members.filter(**flag).count() / n

    assert 0.03 < share(lives_alone=True) < 0.15
    assert 0.02 < share(widowed=True) < 0.12
    assert share(childless=True) < 0.06
    assert share(disabled=True) < 0.08
    assert share(hardship=True) < 0.06
    assert members.filter(person__gender="male").count() / n == pytest.approx(0.55, abs=0.06)


@pytest.mark.django_db
def test_seeding_the_members_at_small_scale_is_quick():
    seed("--org-only")
    started = time.monotonic()

    output = seed()

    assert time.monotonic() - started < 10, output


def test_the_same_seed_plans_the_same_people_and_another_seed_others():
    first = [row.person.id_number for row in plan_members(small()).members]

    assert [row.person.id_number for row in plan_members(small()).members] == first
    assert set(row.person.id_number for row in plan_members(small(8)).members).isdisjoint(first)


def test_a_clubs_members_at_small_scale_are_the_first_of_its_full_roster():
    full = plan_members(SeedContext(scale=SCALES["full"], seed=2007))
    planned = plan_members(small())

    for code in ("C001", "C015", "C076"):
        small_rows = [row for row in planned.members if row.club == code]
        full_rows = [row for row in full.members if row.club == code]
        assert small_rows == full_rows[: len(small_rows)]
    admitted = [row for row in full.applicants if row.stage == PartyApplicant.Stage.FULL]
    assert admitted
    assert len(full.members) + len(admitted) == FULL_MEMBERS


def test_an_admitted_applicant_takes_a_planned_place_so_each_club_keeps_its_size():
    context = SeedContext(scale=SCALES["full"], seed=2007)
    plan = plan_members(context)
    sizes = club_sizes(roster_clubs(), FULL_MEMBERS, context.rng("members"))

    on_roster = Counter(row.club for row in plan.members)
    on_roster.update(row.club for row in plan.applicants if row.stage == PartyApplicant.Stage.FULL)
    assert dict(on_roster) == sizes
    assert on_roster[org_seed_data.DONGLI] == 600


def test_the_full_scale_spreads_39000_members_with_dongli_at_600():
    sizes = club_sizes(roster_clubs(), FULL_MEMBERS, stream(2007))

    assert sum(sizes.values()) == FULL_MEMBERS
    assert sizes[org_seed_data.DONGLI] == 600
    assert sum(1 for n in sizes.values() if 300 <= n <= 700) > 0.7 * len(sizes)


def test_roster_rows_are_plain_rows_with_the_club_named_in_a_column():
    rows = list(roster_rows(roster_clubs(), 500, stream(5)))

    assert len(rows) == 500
    assert {row["所属服务社"] for row in rows} <= {club.name for club in roster_clubs()}
    assert len({row["身份证号"] for row in rows}) == 500
    first = rows[0]
    assert first["所属服务社"] == "东利党员服务社"
    assert first["性别"] in ("男", "女")
    assert validate_id_number(str(first["身份证号"])) == first["身份证号"]


def test_roster_rows_keep_clear_of_id_numbers_already_in_use():
    taken = [row["身份证号"] for row in roster_rows(roster_clubs(), 300, stream(5))]

    again = roster_rows(roster_clubs(), 300, stream(5), used_ids=map(str, taken))

    assert {row["身份证号"] for row in again}.isdisjoint(taken)


def test_a_sizeable_share_has_50_years_in_the_party_and_many_are_of_advanced_age():
    members = plan_members(small()).members
    n = len(members)

    golden = sum(1 for row in members if age_on(row.joined_party_on) >= 50)
    advanced = sum(1 for row in members if age_on(row.person.birth_date) >= 80)
    assert 0.2 < golden / n < 0.6
    assert 0.15 < advanced / n < 0.45
    assert sum(1 for row in members if row.person.phone.startswith("1")) / n > 0.7
