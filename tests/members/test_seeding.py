import hashlib
import random
import time
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
from members.models import Member, MemberRole, MemberTag, PartyApplicant, Person
from members.seeding import (
    AS_OF,
    FULL_MEMBERS,
    age_on,
    club_sizes,
    plan_members,
    roster_clubs,
    roster_rows,
)
from members.services import member_update

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

    for birth_date, joined in Member.objects.values_list("person__birth_date", "joined_party_on"):
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
    assert "本次新增 0 条、更新 0 条" in output


@pytest.mark.django_db
def test_running_it_again_puts_a_changed_member_back_and_keeps_what_points_at_them():
    seed()
    center_admin = User.objects.get(username="center_admin")
    member = Member.objects.select_related("person").order_by("pk").first()
    phone, lives_alone = member.person.phone, member.lives_alone
    member_update(
        actor=center_admin,
        member=member,
        person={"phone": "13900000000"},
        lives_alone=not lives_alone,
    )
    earlier_duty = MemberRole.objects.create(
        member=member,
        role=MemberRole.Role.LIAISON,
        started_on=date(2019, 1, 1),
        ended_on=date(2020, 12, 31),
    )
    people = Person.objects.count()

    seed()

    member.refresh_from_db()
    member.person.refresh_from_db()
    assert (member.person.phone, member.lives_alone) == (phone, lives_alone)
    assert MemberRole.objects.filter(pk=earlier_duty.pk, member=member).exists()
    assert Person.objects.count() == people


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
def test_party_applicants_are_people_who_are_not_members():
    seed()

    applicants = PartyApplicant.objects.all()
    assert applicants.count() == SCALES["small"].count(200)
    assert not applicants.filter(person__member__isnull=False).exists()


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
    assert len(full.members) == FULL_MEMBERS


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
