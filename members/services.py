"""Writes to people, members, their duties, transfers and party applications.

Every path that changes these records (admin, API, import, tasks) calls a function here;
each checks that the actor's scope covers the club, validates, and saves atomically.
"""

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from fuwushe.org.models import Club
from fuwushe.org.scoping import scope_for
from fuwushe.org.selectors import club_area_code
from members import identity, lookups
from members.models import (
    Category,
    Member,
    MemberRole,
    MemberTransfer,
    PartyApplicant,
    Person,
    TalentTag,
)
from members.privacy import may_view_sensitive

PERSON_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "phone_alt",
    "emergency_contact",
    "emergency_phone",
    "community",
    "building",
    "unit",
    "room",
)
PHONE_FIELDS = ("phone", "phone_alt", "emergency_phone")
MEMBER_FIELDS = (
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
    "registered_on",
    "notes",
)


def ensure_covers(actor: Any, club: Club) -> None:
    if not scope_for(actor).covers_owner(club=club):
        raise PermissionDenied(f"您无权管理“{club}”的人员。")


def clean_person_data(data: Mapping[str, Any], *, area_code: str = "") -> dict[str, Any]:
    """Normalise typed person fields; birth date and gender come from the ID number
    when left empty and must agree with it otherwise. A local phone number takes
    `area_code` (that of the club's city). Errors are keyed by field."""
    cleaned = {key: value for key, value in data.items() if key in PERSON_FIELDS}
    errors: dict[str, list[ValidationError]] = {}
    for key in ("name", "ethnicity", "emergency_contact", "building", "unit", "room"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = " ".join(cleaned[key].split())
    if "name" in cleaned:
        try:
            cleaned["name"] = identity.clean_name(cleaned["name"] or "")
        except ValidationError as exc:
            errors["name"] = [exc]
    for key in PHONE_FIELDS:
        if key in cleaned:
            try:
                cleaned[key] = identity.normalise_phone(cleaned[key] or "", area_code)
            except ValidationError as exc:
                errors[key] = [exc]
    if "id_number" in cleaned:
        try:
            number = identity.validate_id_number(cleaned["id_number"] or "")
        except ValidationError as exc:
            errors["id_number"] = [exc]
        else:
            cleaned["id_number"] = number
            try:
                identity.check_id_agrees(
                    number, birth_date=cleaned.get("birth_date"), gender=cleaned.get("gender")
                )
            except ValidationError as exc:
                errors.update(exc.error_dict)
            cleaned.setdefault("birth_date", None)
            cleaned["birth_date"] = cleaned["birth_date"] or identity.id_birth_date(number)
            cleaned["gender"] = cleaned.get("gender") or identity.id_gender(number)
    if errors:
        raise ValidationError(errors)
    return cleaned


Errors = dict[str, list[ValidationError]]


def _collect(errors: Errors, check: Callable[[], object]) -> None:
    """Run a check, adding what it refuses to `errors` (by field) instead of raising."""
    try:
        check()
    except ValidationError as exc:
        exc.update_error_dict(errors)


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _with_pinyin(person: Person) -> Person:
    person.name_pinyin, person.name_initials = identity.pinyin_columns(person.name)
    return person


def _clean_new_person(data: Mapping[str, Any], errors: Errors, club: Club | None) -> dict:
    """A new role's person as typed for `club`, checked as a record of its own (errors into
    `errors`); nobody is looked up yet."""
    try:
        cleaned = clean_person_data(data, area_code=club_area_code(club))
    except ValidationError as exc:
        exc.update_error_dict(errors)
        return {}
    if not cleaned.get("id_number"):
        missing = ValidationError("请填写身份证号。", code="missing_required")
        errors.setdefault("id_number", []).append(missing)
        return {}
    _collect(errors, lambda: _with_pinyin(Person(**cleaned)).full_clean(validate_unique=False))
    return cleaned


def _clean_person_changes(
    person: Person, data: Mapping[str, Any], errors: Errors, club: Club | None
) -> dict:
    """Typed changes to a person of `club`, checked on a copy (errors into `errors`)."""
    if {"birth_date", "gender"} & data.keys() and "id_number" not in data:
        # A changed birth date or gender must still agree with the ID number on record.
        data = {**data, "id_number": person.id_number}
    try:
        cleaned = clean_person_data(data, area_code=club_area_code(club))
    except ValidationError as exc:
        exc.update_error_dict(errors)
        return {}
    changed = copy.copy(person)
    for key, value in cleaned.items():
        setattr(changed, key, value)
    _collect(errors, lambda: _with_pinyin(changed).full_clean(validate_unique=False))
    return cleaned


def _elsewhere_error(clubs: list[Club]) -> ValidationError:
    """A person some club outside the scope holds: it names that club (club names are not
    secret) and nothing of the person, not even the number typed."""
    names = "、".join(f"“{club.name}”" for club in clubs)
    return ValidationError(
        "该身份证号的人员已在%(clubs)s登记，不能重复登记。如需转入，请由该服务社发起党员转接。",
        code="registered_elsewhere",
        params={"clubs": names},
    )


def _person_save(person: Person, data: Mapping[str, Any]) -> Person:
    for key, value in data.items():
        setattr(person, key, value)
    _with_pinyin(person).full_clean(validate_unique=False)
    person.save()
    return person


def _find_or_create(answers: lookups.Lookups, cleaned: Mapping[str, Any]) -> Person:
    person, outside = answers.person(cleaned["id_number"])
    if outside:
        raise ValidationError({"id_number": _elsewhere_error(outside)})
    return _person_save(person or Person(), cleaned)


def _change_person(answers: lookups.Lookups, person: Person, cleaned: Mapping[str, Any]) -> Person:
    number = cleaned.get("id_number")
    if number and number != person.id_number:
        other, outside = answers.person(number)
        if other is not None:
            error = (
                _elsewhere_error(outside)
                if outside
                else ValidationError("该身份证号已登记给另一人，请核对。", code="duplicate_id")
            )
            raise ValidationError({"id_number": error})
    return _person_save(person, cleaned)


def person_upsert(*, actor: Any, data: Mapping[str, Any]) -> Person:
    """Find the person by ID number, or create them; refuse one held outside the scope."""
    errors: Errors = {}
    cleaned = _clean_new_person(data, errors, None)
    _raise(errors)
    with lookups.answering(actor) as answers, transaction.atomic():
        return _find_or_create(answers, cleaned)


def person_update(*, actor: Any, person: Person, data: Mapping[str, Any]) -> Person:
    """Change a person's details; a changed ID number must not belong to anyone else."""
    if not Person.objects.for_user(actor).filter(pk=person.pk).exists():
        raise PermissionDenied("您无权修改此人的信息。")
    errors: Errors = {}
    holders = lookups.holding_clubs(person)  # their roster's club, else their application's
    cleaned = _clean_person_changes(person, data, errors, holders[0] if holders else None)
    _raise(errors)
    with lookups.answering(actor) as answers, transaction.atomic():
        return _change_person(answers, person, cleaned)


def member_create(
    *,
    actor: Any,
    club: Club,
    person: Mapping[str, Any],
    tags: Iterable[TalentTag] = (),
    **fields: Any,
) -> Member:
    """Put a person on a club's roster, finding them by ID number if already known.

    Everything typed is checked before the number is looked up, so that a refusal of
    anything else reads the same whichever number was typed (members.lookups).
    """
    ensure_covers(actor, club)
    errors: Errors = {}
    cleaned = _clean_new_person(person, errors, club)
    member = Member(club=club, **_member_fields(fields))
    if cleaned:
        member.person = _with_pinyin(Person(**cleaned))  # as typed, for the date checks
    _check_member(member, cleaned.get("id_number"), errors)
    _raise(errors)
    with lookups.answering(actor) as answers, transaction.atomic():
        found = _find_or_create(answers, cleaned)
        existing = Member.objects.filter(person=found).select_related("club").first()
        if existing is not None:
            raise ValidationError(
                {
                    "id_number": ValidationError(
                        "该身份证号的党员已在“%(club)s”的名册中。",
                        code="duplicate_id",
                        params={"club": existing.club.name},
                    )
                }
            )
        member.person = found
        member.save()
        member.tags.set(tags)
    return member


def _member_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"Not member fields: {sorted(unknown)}")
    return dict(fields)


def _check_member(member: Member, number: str | None, errors: Errors) -> None:
    """The roster entry's own rules, and its party date against the (typed) ID number."""
    _collect(errors, lambda: member.full_clean(exclude=["person"]))
    joined = member.joined_party_on
    if joined and number and not identity.plausible_party_date(joined, number):
        errors.setdefault("joined_party_on", [ValidationError(identity.PARTY_DATE_RULE)])


def _ensure_may_change_hidden(actor: Any, fields: Mapping[str, Any]) -> None:
    # A health note is hidden from users who may not see sensitive data, so it is not
    # theirs to change either: they could only erase what they cannot read.
    if "health_note" in fields and not may_view_sensitive(actor):
        raise ValidationError({"health_note": "健康状况是敏感信息，您无权查看，也不能修改。"})


def member_update(
    *,
    actor: Any,
    member: Member,
    person: Mapping[str, Any] | None = None,
    tags: Iterable[TalentTag] | None = None,
    **fields: Any,
) -> Member:
    """Change a member's roster entry and, with `person`, their personal details
    (everything checked before a changed ID number is looked up)."""
    ensure_covers(actor, member.club)
    _ensure_may_change_hidden(actor, fields)
    stored = member.person
    if person and not Person.objects.for_user(actor).filter(pk=stored.pk).exists():
        raise PermissionDenied("您无权修改此人的信息。")
    errors: Errors = {}
    changes = _clean_person_changes(stored, person, errors, member.club) if person else {}
    for key, value in _member_fields(fields).items():
        setattr(member, key, value)
    typed = copy.copy(stored)
    for key, value in changes.items():
        setattr(typed, key, value)
    member.person = typed  # the same person as typed, for the date checks
    _check_member(member, typed.id_number, errors)
    member.person = stored
    _raise(errors)
    with lookups.answering(actor) as answers, transaction.atomic():
        if changes:
            _change_person(answers, stored, changes)
        member.save()
        if tags is not None:
            member.tags.set(tags)
    return member


@transaction.atomic
def member_mark_deceased(*, actor: Any, member: Member, died_on: date) -> Member:
    """Record a death: the record stays, the member drops out of care lists."""
    ensure_covers(actor, member.club)
    member.status = Member.Status.DECEASED
    member.died_on = died_on
    member.full_clean(exclude=["person"])
    member.save()
    _end_open_roles(member, died_on)
    _cancel_pending_transfers(actor, member, "党员已故，转接自动撤回。")
    return member


@transaction.atomic
def member_mark_moved_away(*, actor: Any, member: Member, left_on: date, note: str = "") -> Member:
    """Record that a member moved out of the network's area (not to another club)."""
    ensure_covers(actor, member.club)
    if member.status != Member.Status.ACTIVE:
        raise ValidationError("只有在册党员才能登记迁出。")
    member.status = Member.Status.MOVED_AWAY
    member.left_on = left_on
    if note:
        member.notes = f"{member.notes}\n{note}".strip()
    member.full_clean(exclude=["person"])
    member.save()
    _end_open_roles(member, left_on)
    _cancel_pending_transfers(actor, member, "党员已迁出，转接自动撤回。")
    return member


def _end_open_roles(member: Member, on: date) -> None:
    # A duty that began after `on` (recorded late) ends the day it began.
    MemberRole.objects.filter(member=member, ended_on__isnull=True).update(
        ended_on=Greatest(F("started_on"), Value(on, output_field=DateField()))
    )


def _cancel_pending_transfers(actor: Any, member: Member, note: str) -> None:
    MemberTransfer.objects.pending().filter(member=member).update(
        status=MemberTransfer.Status.CANCELLED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )


@transaction.atomic
def member_transfer_request(
    *, actor: Any, member: Member, to_club: Club, reason: str = ""
) -> MemberTransfer:
    """Ask another club to take a member over; the member stays here until it accepts."""
    # Locking the member makes parallel requests wait: the next one then finds the first
    # pending and is refused by full_clean, instead of failing on the unique index.
    member = Member.objects.select_for_update(of=("self",)).select_related("club").get(pk=member.pk)
    ensure_covers(actor, member.club)
    if member.status != Member.Status.ACTIVE:
        raise ValidationError("只有在册党员才能转接。")
    if to_club.status != Club.Status.ACTIVE:
        raise ValidationError({"to_club": f"“{to_club}”已不在运行，不能转入。"})
    transfer = MemberTransfer(
        member=member,
        from_club=member.club,
        to_club=to_club,
        reason=reason,
        requested_by=actor,
    )
    transfer.full_clean()
    transfer.save()
    return transfer


def _ensure_pending(transfer: MemberTransfer) -> None:
    if transfer.status != MemberTransfer.Status.PENDING:
        raise ValidationError(f"该转接{transfer.get_status_display()}，不能再处理。")


@transaction.atomic
def member_transfer_accept(*, actor: Any, transfer: MemberTransfer, note: str = "") -> Member:
    """The receiving club takes the member over; from now on it sees them, the old club not."""
    transfer = MemberTransfer.objects.select_for_update().get(pk=transfer.pk)
    ensure_covers(actor, transfer.to_club)
    _ensure_pending(transfer)
    member = Member.objects.select_for_update().get(pk=transfer.member_id)
    if member.club_id != transfer.from_club_id or member.status != Member.Status.ACTIVE:
        raise ValidationError("该党员的所属服务社或状态已变化，此转接不能再接收。")
    today = timezone.localdate()
    _end_open_roles(member, today)
    member.club = transfer.to_club
    member.registered_on = today
    member.save(update_fields=["club", "registered_on"])
    transfer.status = MemberTransfer.Status.ACCEPTED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_note = note
    transfer.save()
    return member


@transaction.atomic
def member_transfer_decline(
    *, actor: Any, transfer: MemberTransfer, note: str, cancel: bool = False
) -> MemberTransfer:
    """The receiving club declines (退回), or the sending club withdraws (撤回) a transfer."""
    transfer = MemberTransfer.objects.select_for_update().get(pk=transfer.pk)
    ensure_covers(actor, transfer.from_club if cancel else transfer.to_club)
    _ensure_pending(transfer)
    transfer.status = MemberTransfer.Status.CANCELLED if cancel else MemberTransfer.Status.REJECTED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_note = note
    transfer.save()
    return transfer


@transaction.atomic
def member_role_assign(
    *, actor: Any, member: Member, role: str, started_on: date | None = None
) -> MemberRole:
    ensure_covers(actor, member.club)
    assignment = MemberRole(member=member, role=role, started_on=started_on or timezone.localdate())
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def member_role_end(*, actor: Any, assignment: MemberRole, ended_on: date) -> MemberRole:
    ensure_covers(actor, assignment.member.club)
    assignment.ended_on = ended_on
    assignment.full_clean()
    assignment.save()
    return assignment


def applicant_create(
    *, actor: Any, club: Club, person: Mapping[str, Any], applied_on: date, notes: str = ""
) -> PartyApplicant:
    """Register a party application, finding the person by ID number if already known
    (everything typed checked before the number is looked up)."""
    ensure_covers(actor, club)
    errors: Errors = {}
    cleaned = _clean_new_person(person, errors, club)
    applicant = PartyApplicant(club=club, applied_on=applied_on, notes=notes)
    if cleaned:
        applicant.person = _with_pinyin(Person(**cleaned))  # as typed, for the date checks
    _collect(errors, lambda: applicant.full_clean(exclude=["person"]))
    _raise(errors)
    with lookups.answering(actor) as answers, transaction.atomic():
        found = _find_or_create(answers, cleaned)
        if Member.objects.filter(person=found).exists():
            raise ValidationError({"id_number": "此人已是党员，不能登记为入党申请人。"})
        applicant.person = found
        applicant.full_clean()  # one open application per person
        applicant.save()
    return applicant


@transaction.atomic
def applicant_advance(
    *, actor: Any, applicant: PartyApplicant, stage: str, on: date
) -> PartyApplicant:
    """Move an application to its next stage on a date; the last stage puts the person on
    the club's roster as a member."""
    applicant = PartyApplicant.objects.select_for_update().get(pk=applicant.pk)
    ensure_covers(actor, applicant.club)
    stages = list(PartyApplicant.Stage)
    current = stages.index(PartyApplicant.Stage(applicant.stage))
    wanted = stages.index(PartyApplicant.Stage(stage))
    if wanted != current + 1:
        raise ValidationError(
            {"stage": f"只能从“{stages[current].label}”进入下一阶段，不能跳过或倒退。"}
        )
    on_roster = Member.objects.filter(person=applicant.person).exists()
    if stage == PartyApplicant.Stage.FULL and on_roster:
        raise ValidationError(
            {"stage": "此人已在党员名册中，请核对其名册记录（入党时间）后再办结申请。"}
        )
    applicant.stage = stage
    setattr(applicant, PartyApplicant.STAGE_DATES[stages[wanted]], on)
    applicant.full_clean()
    applicant.save()
    if (
        stage == PartyApplicant.Stage.FULL
        and Member.objects.filter(person=applicant.person).exists()
    ):
        raise ValidationError(
            {"stage": "此人已在党员名册中，请核对其名册记录（入党时间）后再办结申请。"}
        )
    if stage == PartyApplicant.Stage.FULL:
        # Party age counts from admission as a probationary member.
        member = Member(
            person=applicant.person,
            club=applicant.club,
            category=Category.OTHER,
            joined_party_on=applicant.probationary_on,
            registered_on=on,
        )
        member.full_clean(exclude=["person"])
        member.save()
    return applicant
