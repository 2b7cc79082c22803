"""The one scoping mechanism: who sees and may change which records.

The center sees everything, a department its own records and its clubs', a club its
own. Every scoped model's queryset derives from `ScopedQuerySet` and names the path to
the club and/or department that owns a row; `for_user(user)` is then the only filter
admin, API, exports, dashboards, autocomplete and imports apply.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from fuwushe.org.models import StaffPosting

M = TypeVar("M", bound=models.Model)

CENTER = "center"
DEPARTMENT = "department"
CLUB = "club"
NOWHERE = "none"


@dataclass(frozen=True)
class Scope:
    level: str
    department_id: int | None = None
    club_id: int | None = None

    @property
    def is_center(self) -> bool:
        return self.level == CENTER

    def covers(self, *, club_id: int | None, department_id: int | None) -> bool:
        """Whether a record owned by this club / department lies inside the scope.

        `department_id` is the owning department, or the club's department for a
        club-owned record.
        """
        if self.level == CENTER:
            return True
        if self.level == DEPARTMENT:
            return department_id is not None and department_id == self.department_id
        if self.level == CLUB:
            return club_id is not None and club_id == self.club_id
        return False

    def covers_owner(self, *, club: Any = None, department: Any = None) -> bool:
        """Whether a record owned by this club, department or (neither) the center is inside."""
        if club is not None:
            return self.covers(club_id=club.pk, department_id=club.department_id)
        return self.covers(club_id=None, department_id=getattr(department, "pk", None))


NO_SCOPE = Scope(NOWHERE)
CENTER_SCOPE = Scope(CENTER)


def current_posting(user: Any) -> "StaffPosting | None":
    from fuwushe.org.models import StaffPosting

    return (
        StaffPosting.objects.current()
        .filter(user_id=user.pk)
        .select_related("club")
        .order_by("ended_on", "-started_on")  # an open posting (NULL end) sorts last
        .last()
    )


def scope_for(user: Any) -> Scope:
    """The scope of a user, from their current posting; cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_fuwushe_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = CENTER_SCOPE
    else:
        posting = current_posting(user)
        if posting is None:
            scope = NO_SCOPE
        elif posting.level == CENTER:
            scope = CENTER_SCOPE
        elif posting.level == DEPARTMENT:
            scope = Scope(DEPARTMENT, department_id=posting.department_id)
        elif posting.club is not None:
            scope = Scope(CLUB, department_id=posting.club.department_id, club_id=posting.club_id)
        else:
            scope = NO_SCOPE
    user._fuwushe_scope = scope
    return scope


class ScopedQuerySet(models.QuerySet[M], Generic[M]):
    """A queryset that knows which club and/or department owns each row.

    scope_club_path: lookup from the model to the owning Club ("club", "member__club";
    "pk" on Club itself). scope_department_path: lookup to a directly owning Department
    ("department"; "pk" on Department). A row with neither belongs to the center.
    """

    scope_club_path: str | None = None
    scope_department_path: str | None = None

    def scope_q(self, scope: Scope) -> Q | None:
        """The filter for a scope; None means no filter at all (the center)."""
        nothing = Q(pk__in=[])
        if scope.level == CENTER:
            return None
        if scope.level == DEPARTMENT:
            q = nothing
            if self.scope_club_path and self.scope_club_path != "pk":
                q |= Q(**{f"{self.scope_club_path}__department_id": scope.department_id})
            if self.scope_department_path:
                q |= Q(**{self.scope_department_path: scope.department_id})
            return q
        if scope.level == CLUB and self.scope_club_path:
            return Q(**{self.scope_club_path: scope.club_id})
        return nothing

    def for_scope(self, scope: Scope) -> Self:
        q = self.scope_q(scope)
        return self if q is None else self.filter(q)

    def for_user(self, user: Any) -> Self:
        return self.for_scope(scope_for(user))


def is_scoped_model(model: type[models.Model]) -> bool:
    return isinstance(model._default_manager.all(), ScopedQuerySet)
