"""Write the planned members: bulk, keyed on the ID number, leaving equal rows alone.

A second run with the same seed writes nothing (no row, no audit event); a row that
differs from the plan is updated in place, so records pointing at it stay valid. Nothing
is deleted.
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
# Notes are left alone: they are for people to write.
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
APPLICANT_FIELDS = ["club", "stage", *PartyApplicant.STAGE_DATES.values()]


@dataclass
class Written:
    created: int = 0
    updated: int = 0

    def add(self, created: int, updated: int) -> None:
        self.created += created
        self.updated += updated


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
    person_ids = _upsert(Person, "id_number", PERSON_FIELDS, people, written, derive=_with_pinyin)
    members = {
        person_ids[row.person.id_number]: _member_values(row, clubs[row.club])
        for row in plan.members
    }
    member_ids = _upsert(Member, "person_id", MEMBER_FIELDS, members, written)
    by_number = {
        row.person.id_number: member_ids[person_ids[row.person.id_number]] for row in plan.members
    }
    written.add(_add_tags(plan.members, by_number), 0)
    written.add(_add_roles(plan.roles, by_number), 0)
    applicants = [
        _applicant(row, clubs[row.club], person_ids[row.person.id_number])
        for row in plan.applicants
    ]
    written.add(*_upsert_applicants(applicants))
    if written.created or written.updated:
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


def _with_pinyin(values: tuple[Any, ...]) -> tuple[Any, ...]:
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


def _applicant(row: ApplicantRow, club_id: int, person_id: int) -> PartyApplicant:
    return PartyApplicant(person_id=person_id, club_id=club_id, stage=row.stage, **row.dates)


def _upsert(
    model: type[models.Model],
    key: str,
    fields: Sequence[str],
    rows: dict[Any, tuple[Any, ...]],
    written: Written,
    derive: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
) -> dict[Any, int]:
    """Insert new rows and update changed ones, keyed on a unique column; equal rows are not
    touched (no write, no audit event). Returns key → primary key.

    `rows` maps a key to the values of `fields`; `derive` appends the values of columns that
    follow from them (the pinyin of a name), computed only for the rows written.
    """
    ids: dict[Any, int] = {}
    current: dict[Any, tuple[Any, ...]] = {}
    for pk, value, *values in select_by_keys(model, key, fields, list(rows)):
        ids[value] = pk
        current[value] = tuple(values)
    changed = [k for k, values in rows.items() if k in current and current[k] != values]
    new = [k for k in rows if k not in current]
    extra = PINYIN_FIELDS if derive else ()
    for chunk in batched([*new, *changed], BATCH_SIZE):
        values = [(k, *(derive(rows[k]) if derive else rows[k])) for k in chunk]
        ids.update(insert_rows(model, (key, *fields, *extra), values, update_on_conflict=True))
    written.add(len(new), len(changed))
    return ids


def _add_tags(rows: Sequence[MemberRow], member_ids: dict[str, int]) -> int:
    names = {tag for row in rows for tag in row.tags}
    for name in names - set(
        TalentTag.objects.filter(name__in=names).values_list("name", flat=True)
    ):
        TalentTag.objects.get_or_create(name=name, defaults={"is_standard": True})
    tag_ids = dict(TalentTag.objects.filter(name__in=names).values_list("name", "pk"))
    wanted = {(member_ids[row.person.id_number], tag_ids[tag]) for row in rows for tag in row.tags}
    held = _existing_pairs(MemberTag.objects.all(), "tag_id", {m for m, _ in wanted})
    missing = sorted(wanted - held)
    MemberTag.objects.bulk_create(
        [MemberTag(member_id=m, tag_id=t) for m, t in missing], batch_size=BATCH_SIZE
    )
    return len(missing)


def _add_roles(roles: Sequence[RoleRow], member_ids: dict[str, int]) -> int:
    wanted = {(member_ids[r.id_number], r.role): r for r in roles}
    held = _existing_pairs(
        MemberRole.objects.filter(ended_on__isnull=True), "role", {m for m, _ in wanted}
    )
    missing = [
        MemberRole(member_id=member_id, role=role, started_on=wanted[member_id, role].started_on)
        for member_id, role in wanted
        if (member_id, role) not in held
    ]
    MemberRole.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    return len(missing)


def _existing_pairs(
    queryset: models.QuerySet[Any], field: str, member_ids: Iterable[int]
) -> set[tuple[int, Any]]:
    return set(queryset.filter(member_id__in=sorted(member_ids)).values_list("member_id", field))


def _upsert_applicants(applicants: Sequence[PartyApplicant]) -> tuple[int, int]:
    """One seeded application per person, found by the person (few rows: plain updates)."""
    existing = {
        a.person_id: a
        for a in PartyApplicant.objects.filter(person_id__in=[a.person_id for a in applicants])
    }
    attnames = [
        PartyApplicant._meta.get_field(name).attname  # type: ignore[union-attr]
        for name in APPLICANT_FIELDS
    ]
    new, changed = [], []
    for applicant in applicants:
        current = existing.get(applicant.person_id)
        if current is None:
            new.append(applicant)
        elif any(getattr(current, f) != getattr(applicant, f) for f in attnames):
            applicant.pk = current.pk
            changed.append(applicant)
    PartyApplicant.objects.bulk_create(new)
    PartyApplicant.objects.bulk_update(changed, APPLICANT_FIELDS)
    return len(new), len(changed)
