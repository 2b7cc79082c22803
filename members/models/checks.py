"""Checks of a record's typed values shared by the models' `clean()`.

Every write calls `full_clean()` (the services do), so admin, API and actions get the
same rules. Each returns the errors by field, for `clean()` to raise together.
"""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone

from members import identity

# A few old members' 登记日期 is their original registration, decades before the network
# (2007); nothing on these records is older than 1949.
EARLIEST_RECORD = date(1949, 1, 1)


def record_date_errors(
    record: models.Model, fields: Iterable[str], *, born: date | None
) -> dict[str, ValidationError]:
    """A date after today, before the person's birth or before 1949, by field."""
    today = timezone.localdate()
    errors: dict[str, ValidationError] = {}
    for name in fields:
        value = getattr(record, name)
        if not isinstance(value, date):
            continue  # empty, or already refused by the field itself
        label = _label(record, name)
        if value > today:
            errors[name] = ValidationError(
                "%(field)s不能晚于今天。", code="date_in_future", params={"field": label}
            )
        elif born is not None and value < born:
            errors[name] = ValidationError(
                "%(field)s不能早于出生日期。", code="date_before_birth", params={"field": label}
            )
        elif value < EARLIEST_RECORD:
            errors[name] = ValidationError(
                "%(field)s不能早于 %(year)s 年。",
                code="date_too_early",
                params={"field": label, "year": EARLIEST_RECORD.year},
            )
    return errors


def hidden_character_errors(
    record: models.Model, fields: Iterable[str]
) -> dict[str, ValidationError]:
    """Text holding control characters or direction overrides, by field."""
    errors: dict[str, ValidationError] = {}
    for name in fields:
        try:
            identity.check_visible(getattr(record, name), _label(record, name))
        except ValidationError as exc:
            errors[name] = exc
    return errors


def related_or_none(record: models.Model, relation: str) -> models.Model | None:
    """The related record, saved or only typed (members.services checks everything
    before it looks anyone up), or None when there is none yet."""
    try:
        return getattr(record, relation)
    except ObjectDoesNotExist:
        return None


def birth_date_of(record: models.Model, relation: str) -> date | None:
    return getattr(related_or_none(record, relation), "birth_date", None)


def _label(record: models.Model, name: str) -> str:
    field = record._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))
