"""Writes to people, members, their duties, transfers and party applications.

Every path that changes these records (admin, API, import, tasks) calls a function here;
each checks that the actor's scope covers the club, validates, and saves atomically.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from fuwushe.org.models import Club
from fuwushe.org.scoping import scope_for
from members import identity
from members.models import (
    Category,
    Member,
    MemberRole,
    MemberTransfer,
    PartyApplicant,
    Person,
    TalentTag,
)

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


def clean_person_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise typed person fields; birth date and gender come from the ID number
    when left empty and must agree with it otherwise. Errors are keyed by field."""
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
                cleaned[key] = identity.normalise_phone(cleaned[key] or "")
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


def holding_clubs(person: Person) -> list[Club]:
    """The clubs where a person holds a role (member or open application)."""
    clubs: list[Club] = []
    member = Member.objects.filter(person=person).select_related("club").first()
    if member is not None:
        clubs.append(member.club)
    for application in PartyApplicant.objects.open().filter(person=person).select_related("club"):
        if application.club not in clubs:
            clubs.append(application.club)
    return clubs


def registered_elsewhere_error(person: Person, actor: Any) -> ValidationError | None:
    """The error for a person some club outside the actor's scope already holds.

    It names that club (club names are not secret) and nothing else of the person.
    """
    scope = scope_for(actor)
    outside = [club for club in holding_clubs(person) if not scope.covers_owner(club=club)]
    if not outside:
        return None
    names = "、".join(f"“{club.name}”" for club in outside)
    return ValidationError(
        "身份证号为 %(number)s 的人员已在%(clubs)s登记，不能重复登记。"
        "如需转入，请由该服务社发起党员转接。",
        code="registered_elsewhere",
        params={"number": person.id_number, "clubs": names},
    )


def _person_save(person: Person, data: Mapping[str, Any]) -> Person:
    for key, value in data.items():
        setattr(person, key, value)
    person.name_pinyin, person.name_initials = identity.pinyin_columns(person.name)
    person.full_clean(validate_unique=False)
    person.save()
    return person


@transaction.atomic
def person_upsert(*, actor: Any, data: Mapping[str, Any]) -> Person:
    """Find the person by ID number, or create them; refuse one held outside the scope."""
    cleaned = clean_person_data(data)
    if "id_number" not in cleaned:
        missing = ValidationError("请填写身份证号。", code="missing_required")
        raise ValidationError({"id_number": missing})
    person = Person.objects.select_for_update().filter(id_number=cleaned["id_number"]).first()
    if person is None:
        return _person_save(Person(), cleaned)
    error = registered_elsewhere_error(person, actor)
    if error is not None:
        raise ValidationError({"id_number": error})
    return _person_save(person, cleaned)


@transaction.atomic
def person_update(*, actor: Any, person: Person, data: Mapping[str, Any]) -> Person:
    """Change a person's details; a changed ID number must not belong to anyone else."""
    if not Person.objects.for_user(actor).filter(pk=person.pk).exists():
        raise PermissionDenied("您无权修改此人的信息。")
    if {"birth_date", "gender"} & data.keys() and "id_number" not in data:
        # A changed birth date or gender must still agree with the ID number on record.
        data = {**data, "id_number": person.id_number}
    cleaned = clean_person_data(data)
    number = cleaned.get("id_number")
    if number and Person.objects.filter(id_number=number).exclude(pk=person.pk).exists():
        other = Person.objects.get(id_number=number)
        error = registered_elsewhere_error(other, actor) or ValidationError(
            "身份证号 %(number)s 已登记给本服务社的另一人。",
            code="duplicate_id",
            params={"number": number},
        )
        raise ValidationError({"id_number": error})
    return _person_save(person, cleaned)


@transaction.atomic
def member_create(
    *,
    actor: Any,
    club: Club,
    person: Mapping[str, Any],
    tags: Iterable[TalentTag] = (),
    **fields: Any,
) -> Member:
    """Put a person on a club's roster, finding them by ID number if already known."""
    ensure_covers(actor, club)
    found = person_upsert(actor=actor, data=person)
    existing = Member.objects.filter(person=found).select_related("club").first()
    if existing is not None:
        raise ValidationError(
            {
                "id_number": ValidationError(
                    "身份证号为 %(number)s 的党员已在“%(club)s”的名册中。",
                    code="duplicate_id",
                    params={"number": found.id_number, "club": existing.club.name},
                )
            }
        )
    member = Member(person=found, club=club, **_member_fields(fields))
    member.full_clean(exclude=["person"])
    _check_party_date(member)
    member.save()
    member.tags.set(tags)
    return member


def _member_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"Not member fields: {sorted(unknown)}")
    return dict(fields)


def _check_party_date(member: Member) -> None:
    joined = member.joined_party_on
    if joined and not identity.plausible_party_date(joined, member.person.id_number):
        raise ValidationError({"joined_party_on": identity.PARTY_DATE_RULE})


@transaction.atomic
def member_update(
    *,
    actor: Any,
    member: Member,
    person: Mapping[str, Any] | None = None,
    tags: Iterable[TalentTag] | None = None,
    **fields: Any,
) -> Member:
    """Change a member's roster entry and, with `person`, their personal details."""
    ensure_covers(actor, member.club)
    if person:
        person_update(actor=actor, person=member.person, data=person)
    for key, value in _member_fields(fields).items():
        setattr(member, key, value)
    member.full_clean(exclude=["person"])
    _check_party_date(member)
    member.save()
    if tags is not None:
        member.tags.set(tags)
    return member


@transaction.atomic
def member_mark_deceased(*, actor: Any, member: Member, died_on: date) -> Member:
    """Record a death: the record stays, the member drops out of care lists."""
    ensure_covers(actor, member.club)
    if died_on > timezone.localdate():
        raise ValidationError({"died_on": "去世日期不能晚于今天。"})
    if died_on < member.person.birth_date:
        raise ValidationError({"died_on": "去世日期不能早于出生日期。"})
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
    if left_on > timezone.localdate():
        raise ValidationError({"left_on": "迁出日期不能晚于今天。"})
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


@transaction.atomic
def applicant_create(
    *, actor: Any, club: Club, person: Mapping[str, Any], applied_on: date, notes: str = ""
) -> PartyApplicant:
    ensure_covers(actor, club)
    found = person_upsert(actor=actor, data=person)
    if Member.objects.filter(person=found).exists():
        raise ValidationError({"id_number": "此人已是党员，不能登记为入党申请人。"})
    applicant = PartyApplicant(person=found, club=club, applied_on=applied_on, notes=notes)
    applicant.full_clean()
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
