"""Write the planned members: bulk, keyed on the ID number, creating only what is missing.

A row that exists is never changed, so an edit someone made to a demo record (a former
unit corrected, a member moved to another club, a duty ended) survives the next run; a
second run with the same seed writes nothing (no row, no audit event). Tags and duties
come with the member they belong to, when it is created. Nothing is deleted.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from django.db import models

from fuwushe.bulk import analyze, insert_rows, select_by_keys
from fuwushe.org.models import Club, Community
from members.identity import pinyin_columns
from members.models import (
    PERSON_DETAIL_COLUMNS,
    Category,
    Member,
    MemberRole,
    MemberTag,
    PartyApplicant,
    Person,
    TalentTag,
)
from members.seeding.rows import ApplicantRow, MemberRow, MembersPlan, PersonRow, RoleRow

BATCH_SIZE = 5000

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched, which arrives with Python 3.12."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


PERSON_FIELDS = PERSON_DETAIL_COLUMNS
PINYIN_FIELDS = ("name_pinyin", "name_initials")
MEMBER_FIELDS = (
    "club_id",
    "category",
    "joined_party_on",
    "former_unit",
    "relationship_held_at",
    "relationship_organisation",
    "education",
    "health_note",
    "lives_alone",
    "childless",
    "widowed",
    "disabled",
    "hardship",
    "status",
    "registered_on",
    "left_on",
    "died_on",
)


@dataclass
class Written:
    created: int = 0


def write(plan: MembersPlan) -> Written:
    written = Written()
    clubs = dict(Club.objects.values_list("code", "pk"))
    communities = {
        (code, name): pk
        for code, name, pk in Community.objects.values_list("club__code", "name", "pk")
    }
    rows: list[MemberRow | ApplicantRow] = [*plan.members, *plan.applicants]
    people = {
        row.person.id_number: _person_values(
            row.person, communities[row.club, row.person.community]
        )
        for row in rows
    }
    person_ids, _ = _insert_missing(Person, "id_number", PERSON_FIELDS, people, written, _pinyin)
    members = {
        person_ids[row.person.id_number]: _member_values(row, clubs[row.club])
        for row in plan.members
    }
    # An application that reached the last stage has put the person on the roster.
    members.update(
        (person_ids[row.person.id_number], _admitted_member_values(row, clubs[row.club]))
        for row in plan.applicants
        if row.stage == PartyApplicant.Stage.FULL
    )
    member_ids, created = _insert_missing(Member, "person_id", MEMBER_FIELDS, members, written)
    new_members = {
        row.person.id_number: member_ids[person_ids[row.person.id_number]]
        for row in plan.members
        if person_ids[row.person.id_number] in created
    }
    written.created += _add_tags(plan.members, new_members)
    written.created += _add_roles(plan.roles, new_members)
    applicants = [
        _applicant(row, clubs[row.club], person_ids[row.person.id_number])
        for row in plan.applicants
    ]
    written.created += _create_applicants(applicants)
    if written.created:
        analyze(Person, Member, MemberTag, MemberRole, PartyApplicant)
    return written


def _person_values(row: PersonRow, community_id: int) -> tuple[Any, ...]:
    return (
        row.name,
        row.gender,
        row.ethnicity,
        row.birth_date,
        row.phone,
        row.phone_alt,
        row.emergency_contact,
        row.emergency_phone,
        community_id,
        row.building,
        row.unit,
        row.room,
    )


def _pinyin(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*values, *pinyin_columns(values[0]))


def _member_values(row: MemberRow, club_id: int) -> tuple[Any, ...]:
    return (
        club_id,
        row.category,
        row.joined_party_on,
        row.former_unit,
        row.relationship_held_at,
        row.relationship_organisation,
        row.education,
        row.health_note,
        row.lives_alone,
        row.childless,
        row.widowed,
        row.disabled,
        row.hardship,
        row.status,
        row.registered_on,
        row.left_on,
        row.died_on,
    )


def _admitted_member_values(row: ApplicantRow, club_id: int) -> tuple[Any, ...]:
    """The member `applicant_advance` puts on the roster when an application reaches 正式党员."""
    member = Member(
        club_id=club_id,
        category=Category.OTHER,
        joined_party_on=row.dates[PartyApplicant.STAGE_DATES[PartyApplicant.Stage.PROBATIONARY]],
        registered_on=row.dates[PartyApplicant.STAGE_DATES[PartyApplicant.Stage.FULL]],
    )
    return tuple(getattr(member, name) for name in MEMBER_FIELDS)


def _applicant(row: ApplicantRow, club_id: int, person_id: int) -> PartyApplicant:
    return PartyApplicant(person_id=person_id, club_id=club_id, stage=row.stage, **row.dates)


def _insert_missing(
    model: type[models.Model],
    key: str,
    fields: Sequence[str],
    rows: dict[Any, tuple[Any, ...]],
    written: Written,
    derive: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
) -> tuple[dict[Any, int], set[Any]]:
    """Insert the rows whose unique `key` column is not taken; leave the others as they are.

    `rows` maps a key to the values of `fields`; `derive` appends the values of columns that
    follow from them (the pinyin of a name), computed only for the rows written. Returns
    key → primary key for every row, and the keys inserted.
    """
    ids = {value: pk for pk, value in select_by_keys(model, key, (), list(rows))}
    new = [k for k in rows if k not in ids]
    extra = PINYIN_FIELDS if derive else ()
    for chunk in batched(new, BATCH_SIZE):
        values = [(k, *(derive(rows[k]) if derive else rows[k])) for k in chunk]
        ids.update(insert_rows(model, (key, *fields, *extra), values))
    written.created += len(new)
    return ids, set(new)


def _add_tags(rows: Sequence[MemberRow], new_members: dict[str, int]) -> int:
    """The planned talent tags of the members just created (others keep what they have)."""
    rows = [row for row in rows if row.tags and row.person.id_number in new_members]
    names = {tag for row in rows for tag in row.tags}
    for name in names - set(
        TalentTag.objects.filter(name__in=names).values_list("name", flat=True)
    ):
        TalentTag.objects.get_or_create(name=name, defaults={"is_standard": True})
    tag_ids = dict(TalentTag.objects.filter(name__in=names).values_list("name", "pk"))
    pairs = sorted(
        {(new_members[row.person.id_number], tag_ids[t]) for row in rows for t in row.tags}
    )
    MemberTag.objects.bulk_create(
        [MemberTag(member_id=m, tag_id=t) for m, t in pairs], batch_size=BATCH_SIZE
    )
    return len(pairs)


def _add_roles(roles: Sequence[RoleRow], new_members: dict[str, int]) -> int:
    """The planned duties of the members just created: a duty ended by hand stays ended."""
    created = [
        MemberRole(member_id=new_members[r.id_number], role=r.role, started_on=r.started_on)
        for r in roles
        if r.id_number in new_members
    ]
    MemberRole.objects.bulk_create(created, batch_size=BATCH_SIZE)
    return len(created)


def _create_applicants(applicants: Sequence[PartyApplicant]) -> int:
    """One seeded application per person, for people who have none (few rows)."""
    held = set(
        PartyApplicant.objects.filter(person_id__in=[a.person_id for a in applicants]).values_list(
            "person_id", flat=True
        )
    )
    new = [applicant for applicant in applicants if applicant.person_id not in held]
    PartyApplicant.objects.bulk_create(new)
    return len(new)
