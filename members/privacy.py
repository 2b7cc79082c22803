"""Who may see ID numbers and phones in full, and how everyone else sees them."""

from typing import Any

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
    """138****1234 for a mobile; 0546-****3456 for a landline."""
    if not value:
        return ""
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
