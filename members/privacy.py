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
# Two phones in one cell, split as identity.PHONE_SEPARATORS splits them (kept, to show).
PHONE_SPLIT = re.compile(r"([/、，,；;]\s*)")
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
        pass
    if identity.LOCAL_NUMBER.match(compact):
        # A landline written without its area code (the import adds the club's).
        return f"{'*' * (len(compact) - 4)}{compact[-4:]}"
    return None


def mask_numbers(text: str) -> str:
    """The user's data as free text, every ID number and phone in it masked however written."""
    return NUMBER_WRITING.sub(lambda m: _mask_writing(m[0]) or m[0], text)


def _mask_writing(writing: str) -> str | None:
    """The mask of one written number, or of two phones written in one, split by a
    separator (138…/0546-…) or side by side (138… 0546-…), as the importer reads them."""
    parts = PHONE_SPLIT.split(writing)
    if len(parts) > 1:
        masks = [_mask_phone_writing(part) for part in parts[::2]]
        if any(masks):
            # The phones masked; a broken part as a broken phone, a short one (“、123”) kept.
            pieces = parts[::2]
            parts[::2] = [m or _mask_broken(p) or p for m, p in zip(masks, pieces, strict=True)]
            return "".join(parts)
    whole = _mask_compact(_compact(writing))
    if whole and len(_compact(writing)) < ID_LIKE_LENGTH:
        return whole  # one phone, however spaced
    groups = writing.split()
    for cut in range(1, len(groups)):
        first, second = " ".join(groups[:cut]), " ".join(groups[cut:])
        masked_first, masked_second = _mask_phone_writing(first), _mask_phone_writing(second)
        if masked_first and masked_second:
            return f"{masked_first} {masked_second}"
    return whole or _mask_broken(writing)


# A run of digits no rule reads that may still hold a phone (138…、123, 138…-1, a mobile
# with a digit missing): from 11 digits, or from 9 starting like a mobile or a landline.
# Dates (19500301, 8 digits) stay readable.
BROKEN_PHONE = re.compile(r"^(?:[0-9]{11,}|1[3-9][0-9]{7,}|0[0-9]{8,})$")


def _mask_broken(writing: str) -> str | None:
    """Every digit but the last 4 starred, the writing's other characters kept."""
    compact = _compact(writing)
    if not BROKEN_PHONE.match(compact.rstrip("X")):
        return None
    hidden = len(compact.rstrip("X")) - 4
    out = []
    for ch in writing:
        if ch.isdecimal() and hidden > 0:
            out.append("*")
            hidden -= 1
        else:
            out.append(ch)
    return "".join(out)


def _mask_phone_writing(writing: str) -> str | None:
    """The mask of a written phone; None for anything else (an ID number among them)."""
    compact = _compact(writing)
    return _mask_compact(compact) if len(compact) < ID_LIKE_LENGTH else None


def mask_quoting(message: str, value: str) -> str:
    """A fixed message that may quote the user's `value`: ID numbers in it, and the value's
    own ID numbers and phones in any writing, are masked; the message's own examples
    (“如 0546-8123456”) stay as they are."""
    own = [
        compact
        for compact in (_compact(m[0]) for m in NUMBER_WRITING.finditer(value))
        if _mask_compact(compact) or BROKEN_PHONE.match(compact.rstrip("X"))
    ]

    def hide(match: re.Match[str]) -> str:
        compact = _compact(match[0])
        quoted = len(compact) >= QUOTED_LENGTH and any(compact in number for number in own)
        if quoted:
            return _mask_writing(match[0]) or "*" * len(compact)
        if len(compact) >= ID_LIKE_LENGTH:
            return _mask_compact(compact) or "*" * len(compact)
        return match[0]

    return NUMBER_WRITING.sub(hide, message)
