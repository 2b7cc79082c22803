"""What each staff role may do, as Django permission groups kept in sync from code."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from fuwushe.org.models import StaffPosting

Role = StaffPosting.Role

# Apps whose every permission the center administrator holds.
PROJECT_APPS = [
    "org",
    "audit",
    "config",
    "files",
    "imports",
    "members",
    "volunteers",
    "visits",
    "meetings",
]

# "app_label.codename", or "app_label.*" for every permission of an app. Domain apps
# add theirs to these lists when they land (see `extend_role`).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CENTER_ADMIN: [f"{app}.*" for app in PROJECT_APPS],
    Role.DEPARTMENT_ADMIN: [
        "org.view_department",
        "org.view_club",
        "org.change_club",
        "org.view_community",
        "org.add_community",
        "org.change_community",
        "org.view_user",
        "org.add_user",
        "org.change_user",
        "org.view_staffposting",
        "org.add_staffposting",
        "org.change_staffposting",
        "audit.view_sensitiveaccess",
        "files.*",
        "imports.view_importrun",
        "imports.add_importrun",
    ],
    Role.DIRECTOR: [
        "org.view_department",
        "org.view_club",
        "org.view_community",
        # Only the aliases of their own communities (CommunityAdmin), for matching ledgers.
        "org.change_community",
        "org.view_user",
        "org.view_staffposting",
        "files.*",
        "imports.view_importrun",
        "imports.add_importrun",
    ],
}
for _role in (Role.DEPUTY, Role.FULL_TIME, Role.PART_TIME):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[Role.DIRECTOR]


def group_name(role: str) -> str:
    return f"岗位：{Role(role).label}"


def extend_role(role: str, permissions: list[str]) -> None:
    """Let a domain app grant its permissions to a role (call from its AppConfig.ready)."""
    ROLE_PERMISSIONS[role] = [*ROLE_PERMISSIONS[role], *permissions]


def _permissions(patterns: list[str]) -> "list[Permission]":
    q = Q(pk__in=[])
    for pattern in patterns:
        app_label, codename = pattern.split(".", 1)
        if codename == "*":
            q |= Q(content_type__app_label=app_label)
        else:
            q |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(q))


def sync_role_groups() -> dict[str, Group]:
    """Create or update one group per role with exactly the permissions listed above."""
    groups = {}
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set(_permissions(patterns))
        groups[role] = group
    return groups
