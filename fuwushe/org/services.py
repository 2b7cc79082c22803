"""Writes to the organisation: staff accounts, postings, password resets, community aliases."""

import secrets
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from fuwushe.org.communities import alias_conflicts
from fuwushe.org.models import Club, Community, Department, Level, StaffPosting, User
from fuwushe.org.roles import ROLE_PERMISSIONS, group_name
from fuwushe.org.scoping import CENTER, DEPARTMENT, scope_for

Role = StaffPosting.Role
CLUB_ROLES = {Role.DIRECTOR, Role.DEPUTY, Role.FULL_TIME, Role.PART_TIME}
# Letters and digits that cannot be mistaken for one another when read aloud or copied.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105


def temporary_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(10))


def ensure_may_manage(actor: Any, *, department: Department | None, club: Club | None) -> None:
    """Center administrators manage everyone; a department administrator its clubs' staff."""
    scope = scope_for(actor)
    if scope.level == CENTER:
        return
    if scope.level == DEPARTMENT and club is not None and club.department_id == scope.department_id:
        return
    raise PermissionDenied("您只能管理本服务部所属服务社的工作人员账号。")


def _posting_level(role: str) -> str:
    if role == Role.CENTER_ADMIN:
        return Level.CENTER
    if role == Role.DEPARTMENT_ADMIN:
        return Level.DEPARTMENT
    return Level.CLUB


def sync_user_groups(user: User) -> None:
    """Put the user in exactly the group of their current posting's role."""
    role_groups = Group.objects.filter(name__in=[group_name(r) for r in ROLE_PERMISSIONS])
    user.groups.remove(*role_groups)
    posting = StaffPosting.objects.current().filter(user=user, ended_on__isnull=True).first()
    if posting is not None:
        group, _ = Group.objects.get_or_create(name=group_name(posting.role))
        user.groups.add(group)


@transaction.atomic
def staff_posting_create(
    *,
    actor: Any,
    user: User,
    role: str,
    department: Department | None = None,
    club: Club | None = None,
    started_on: date | None = None,
    elderly_station: str = "",
) -> StaffPosting:
    """Place a user; an open posting they already have ends the day before."""
    ensure_may_manage(actor, department=department, club=club)
    started_on = started_on or timezone.localdate()
    for open_posting in StaffPosting.objects.filter(user=user, ended_on__isnull=True):
        ensure_may_manage(actor, department=open_posting.department, club=open_posting.club)
        open_posting.ended_on = max(open_posting.started_on, started_on - timedelta(days=1))
        open_posting.full_clean()
        open_posting.save(update_fields=["ended_on"])
    posting = StaffPosting(
        user=user,
        level=_posting_level(role),
        role=role,
        department=department,
        club=club,
        started_on=started_on,
        elderly_station=elderly_station,
    )
    posting.full_clean()
    posting.save()
    sync_user_groups(user)
    return posting


@transaction.atomic
def staff_account_create(
    *,
    actor: Any,
    username: str,
    last_name: str,
    first_name: str,
    role: str,
    department: Department | None = None,
    club: Club | None = None,
    started_on: date | None = None,
    elderly_station: str = "",
) -> tuple[User, str]:
    """Create a staff account with its posting; return it with a one-time password."""
    ensure_may_manage(actor, department=department, club=club)
    password = temporary_password()
    user = User(
        username=username.strip(),
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        is_staff=True,
        must_change_password=True,
    )
    user.set_password(password)
    user.must_change_password = True
    user.full_clean(exclude=["password"])
    user.save()
    staff_posting_create(
        actor=actor,
        user=user,
        role=role,
        department=department,
        club=club,
        started_on=started_on,
        elderly_station=elderly_station,
    )
    return user, password


def __ensure_may_manage_user(actor: Any, user: User) -> None:
    if not User.objects.for_user(actor).filter(pk=user.pk).exists():
        raise PermissionDenied("您无权管理这个账号。")
    posting = StaffPosting.objects.current().filter(user=user).first()
    if posting is None:
        if not scope_for(actor).is_center:
            raise PermissionDenied("您无权管理这个账号。")
        return
    ensure_may_manage(actor, department=posting.department, club=posting.club)


@transaction.atomic
def staff_password_reset(*, actor: Any, user: User) -> str:
    """Give the user a temporary password that must be changed at the next sign-in."""
    __ensure_may_manage_user(actor, user)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError("不能重置自己的密码，请使用“修改密码”。")
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return password


@transaction.atomic
def staff_account_deactivate(*, actor: Any, user: User, ended_on: date | None = None) -> None:
    """Stop the account from signing in and end its open posting; history is kept."""
    __ensure_may_manage_user(actor, user)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError("不能停用自己的账号。")
    day = ended_on or timezone.localdate()
    for posting in StaffPosting.objects.filter(user=user, ended_on__isnull=True):
        posting.ended_on = max(posting.started_on, day)
        posting.save(update_fields=["ended_on"])
    user.is_active = False
    user.save(update_fields=["is_active"])
    sync_user_groups(user)


def api_tokens_revoke(*, user: User) -> None:
    """End the user's API tokens: a client must sign in again with the new password."""
    Token.objects.filter(user=user).delete()


class RevokeApiTokensOnPasswordChange:
    """Revoke a user's API tokens whenever their password changes, on every path.

    Listed in AUTH_PASSWORD_VALIDATORS for Django's `password_changed` hook, which runs
    once a new password is saved, whoever set it: a reset (staff_password_reset), the
    user's own change in the admin, `manage.py changepassword`. It validates nothing.
    """

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            api_tokens_revoke(user=user)

    def get_help_text(self) -> str:
        return "修改密码后，此前发放的接口令牌全部失效。"


@transaction.atomic
def community_aliases_add(*, actor: Any, community: Community, aliases: list[str]) -> Community:
    """Remember other wordings of a community (from an import preview or the admin)."""
    locked = Community.objects.for_user(actor).select_for_update().filter(pk=community.pk).first()
    if locked is None:
        raise PermissionDenied(f"您无权修改小区“{community.name}”的资料。")
    new = [alias.strip() for alias in aliases if alias.strip()]
    new = [alias for alias in dict.fromkeys(new) if alias not in (locked.name, *locked.aliases)]
    ensure_aliases_free(locked, new)
    locked.aliases = [*locked.aliases, *new]
    locked.full_clean()
    locked.save(update_fields=["aliases"])
    return locked


def ensure_aliases_free(community: Community, aliases: list[str]) -> None:
    taken = alias_conflicts(community, aliases)
    if taken:
        raise ValidationError(
            {
                "aliases": f"其他写法“{'、'.join(taken)}”已是本服务社另一个小区的名称或其他写法，"
                "同一写法只能指一个小区。"
            }
        )
