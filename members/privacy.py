"""Who may see ID numbers and phones in full, and how everyone else sees them."""

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

from members import identity

VIEW_SENSITIVE = "members.view_sensitive_person"
SENSITIVE_FIELDS = ("id_number", "phone", "phone_alt", "emergency_phone")


def may_view_sensitive(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_SENSITIVE))


def mask_id_number(value: str) -> str:
    """370102**********1X: the region and the check character stay, the birth date goes."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 8)}{value[-2:]}"


def mask_phone(value: str) -> str:
    """138****1234 for a mobile; 0546-****3456 for a landline, its extension kept
    (0546-***3456转123: an extension tells nothing without the number)."""
    if not value:
        return ""
    number, mark, extension = value.partition("转")
    if mark:
        return mask_phone(number) + mark + extension
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


MASKS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "phone_alt": mask_phone,
    "emergency_phone": mask_phone,
}


def masked(field: str, value: Any) -> Any:
    mask = MASKS.get(field)
    return mask(value) if mask and isinstance(value, str) else value


def shown(user: Any, field: str, value: Any) -> Any:
    """The value as this user may see it."""
    return value if may_view_sensitive(user) else masked(field, value)


# --- Numbers in free text (import errors, messages) --------------------------------------

# Digits in any writing (ASCII, full-width or another script's) with up to three spaces,
# punctuation marks or stray Latin letters between them, and a final X: how ledgers write
# ID numbers and phones ("370502-19510603-8282", "370502 1956 1205 2394", "３７０５０２…").
NUMBER_WRITING = re.compile(r"\d(?:[\W_A-Za-z]{0,3}\d)*(?:[\W_]{0,3}[xXｘＸ])?")
# An old 15-digit ID number and anything longer is masked as an ID number.
ID_LIKE_LENGTH = 15
# The shortest part of a quoted number worth hiding (a local phone number without area
# code); shorter digits in a message are its own (“第 3 行”).
QUOTED_LENGTH = 7


def _compact(writing: str) -> str:
    """The digits of a written number as ASCII, with its final X (upper case)."""
    digits = "".join(str(unicodedata.decimal(ch)) for ch in writing if ch.isdecimal())
    return digits + "X" if writing[-1] in "xXｘＸ" else digits


def _mask_compact(compact: str) -> str | None:
    """The mask of an ID number or phone (as compact digits); None for any other number."""
    if len(compact) >= ID_LIKE_LENGTH:
        return mask_id_number(compact)
    if "X" in compact:
        return None
    try:
        return mask_phone(identity.normalise_phone(compact))
    except ValidationError:
        return None


def mask_numbers(text: str) -> str:
    """The user's data as free text, every ID number and phone in it masked however written."""
    return NUMBER_WRITING.sub(lambda m: _mask_compact(_compact(m[0])) or m[0], text)


def mask_quoting(message: str, value: str) -> str:
    """A fixed message that may quote the user's `value`: ID numbers in it, and the value's
    own ID numbers and phones in any writing, are masked; the message's own examples
    (“如 0546-8123456”) stay as they are."""
    own = [
        compact
        for compact in (_compact(m[0]) for m in NUMBER_WRITING.finditer(value))
        if _mask_compact(compact)
    ]

    def hide(match: re.Match[str]) -> str:
        compact = _compact(match[0])
        quoted = len(compact) >= QUOTED_LENGTH and any(compact in number for number in own)
        if quoted or len(compact) >= ID_LIKE_LENGTH:
            return _mask_compact(compact) or "*" * len(compact)
        return match[0]

    return NUMBER_WRITING.sub(hide, message)
