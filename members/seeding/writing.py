"""Write the planned members: bulk, keyed on the ID number, leaving equal rows alone.

A second run with the same seed writes nothing (no row, no audit event); a row that
differs from the plan is updated in place, so records pointing at it stay valid. Nothing
is deleted.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from fuwushe.org.models import Club, Community
from members.identity import pinyin_columns
from members.models import Member, MemberRole, MemberTag, PartyApplicant, Person, TalentTag
from members.seeding.rows import ApplicantRow, MemberRow, MembersPlan, PersonRow, RoleRow

BATCH_SIZE = 5000

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched, which arrives with Python 3.12."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# Compared and written as planned; the pinyin columns follow from the name.
PERSON_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "phone",
    "phone_alt",
    "emergency_contact",
    "emergency_phone",
    "community_id",
    "building",
    "unit",
    "room",
)
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

# Pinyin is slow (~0.1 ms a name) and the names repeat: each distinct name once per process.
_pinyin = cache(pinyin_columns)


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
        _analyze(Person, Member, MemberTag, MemberRole, PartyApplicant)
    return written


def _analyze(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load. Until autovacuum gets to it, the
    planner takes a table of 39,000 members for an empty one and picks nested loops that
    make the change list sixty times slower. (Our own uncommitted rows are sampled too.)"""
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {names}")


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
    return (*values, *_pinyin(values[0]))


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
    for pk, value, *values in _select(model, key, fields, list(rows)):
        ids[value] = pk
        current[value] = tuple(values)
    changed = [k for k, values in rows.items() if k in current and current[k] != values]
    new = [k for k in rows if k not in current]
    extra = PINYIN_FIELDS if derive else ()
    for chunk in batched([*new, *changed], BATCH_SIZE):
        values = [(k, *(derive(rows[k]) if derive else rows[k])) for k in chunk]
        ids.update(_insert_or_update(model, (key, *fields, *extra), values))
    written.add(len(new), len(changed))
    return ids


def _select(
    model: type[models.Model], key: str, fields: Sequence[str], keys: list[Any]
) -> list[tuple[Any, ...]]:
    """(pk, key, *fields) of the rows with these keys, the keys sent as one array: a
    `key__in` of 39,000 values takes Django longer to compile than PostgreSQL to run."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (str(meta.pk.column), key, *fields))
    key_type = meta.get_field(key).db_type(connection)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(key)} = ANY(%s::{key_type}[])"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys])
        return cursor.fetchall()


def _insert_or_update(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, int]]:
    """Write many rows in one statement: INSERT … SELECT FROM unnest(an array per column).

    The first column is the unique key: a row whose key exists updates it. Columns not
    given get their field's default (timestamps: now) on insert and are left alone on
    update, except an auto_now timestamp. Through Django's cursor, so that the audit
    context is attached; the audit triggers run per statement and see every row.
    (bulk_create spends longer preparing 40,000 rows in Python than PostgreSQL spends
    writing them.) Returns (key, primary key) pairs.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    now = timezone.now()
    others = [f for f in meta.concrete_fields if f.column not in columns and not f.primary_key]
    names = [*columns, *(str(f.column) for f in others)]
    fields = [meta.get_field(column) for column in columns] + others
    arrays = [list(values) for values in zip(*rows, strict=True)]
    arrays += [[now if _stamped(f) else f.get_default()] * len(rows) for f in others]
    updated = [*columns[1:], *(str(f.column) for f in others if getattr(f, "auto_now", False))]
    key, pk = quote(columns[0]), quote(str(meta.pk.column))
    targets = ", ".join(quote(name) for name in names)
    sources = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    sets = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in updated)
    # Names come from the model's metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({targets}) SELECT * FROM unnest({sources}) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {sets} RETURNING {key}, {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return [(value, row_id) for value, row_id in cursor.fetchall()]


def _stamped(field: "models.Field[Any, Any]") -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


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
