"""Answers that tell whether a typed ID number is on record: logged, and limited per user.

Registering someone finds them by ID number, so every answer to "register this number"
says whether the number belongs to somebody. Staff without members.view_sensitive_person
see numbers masked (370502**********82, the birth date beside it), and only about nine
endings pass the check character: unlimited answers would spell out any masked number.
Every path that looks a typed number up (the services for the admin and the API, the
importer) goes through an `answering()` block, which classifies each answer:

- **match**: the person is held inside the actor's scope (or by no one). For an actor
  without the permission this is logged, never limited: a club re-importing its own
  600-member roster matches every row.
- **registered elsewhere**: a club outside the actor's scope holds the person; the
  answer names that club. Logged and counted, for every actor.
- **near miss**: the number is not on record but shares what a mask shows (characters
  1–14, region and birth date, and the last 2) with a person in the actor's scope. That
  is what guessing a masked number looks like, and a real ledger almost never has one (a
  mistyped digit fails the check character). Logged and counted for an actor without the
  permission; one with it sees the numbers anyway.
- **new**: anything else (a person no club holds is taken up like a new one); neither
  logged nor counted.

Counted are distinct numbers (kept as keyed digests, never the numbers) in a rolling 24
hours, read from the database, so that a cache outage neither opens nor breaks the limit.
Once an actor has had `id_lookup_limit` of them, answers are withheld (code
`lookup_limited`) until the count falls: for an actor without the permission every
answer, "new" included, since answering any would tell the withheld ones apart; for one
with it, all but matches inside its scope. The block ends by writing one LOOKUP entry
(the people whose numbers were answered, and the digests counted) and, if anything was
withheld, one BLOCKED entry; both belong to the actor's club or department, so the
center sees all of them. They are written after the block's transaction ends, so that a
refusal, which rolls the write back, is still logged. Parallel requests of one actor
each read the count once, so each may get one answer past the limit, no more.
"""

import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Left
from django.http import HttpRequest
from django.utils import timezone

from fuwushe.audit.access import record_sensitive_access
from fuwushe.audit.models import SensitiveAccess
from fuwushe.config.selectors import config_get
from fuwushe.org.models import Club
from fuwushe.org.scoping import Scope, scope_for
from members.config_options import ID_LOOKUP_LIMIT
from members.models import Member, PartyApplicant, Person
from members.privacy import may_view_sensitive

WINDOW = timedelta(hours=24)
LIMITED = "核对身份证号的次数过多，已暂停，请联系管理中心。"
# What a masked number gives away: characters 1–14 (region, and the birth date shown
# beside the mask) and the last 2.
HEAD = 14
TAIL = 2


class Kind(Enum):
    NEW = "new"
    MATCH = "match"
    ELSEWHERE = "elsewhere"
    NEAR_MISS = "near_miss"


KIND_WORDS = {
    Kind.MATCH: "本范围内的人员 {} 人",
    Kind.ELSEWHERE: "其他服务社登记的人员 {} 人",
    Kind.NEAR_MISS: "与打码号码相近而不存在的号码 {} 个",
}


def limited_error() -> ValidationError:
    return ValidationError(LIMITED, code="lookup_limited")


def digest(number: str) -> str:
    """A keyed digest of an ID number: a repeat is recognised, the number is not kept."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:24]


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


def kind_of(holders: Sequence[Club], outside: Sequence[Club]) -> Kind:
    """A person no club holds is taken up like a new one: the answer is the same."""
    if outside:
        return Kind.ELSEWHERE
    return Kind.MATCH if holders else Kind.NEW


class Lookups:
    """One request's (or import run's) answers for one actor: shown, counted, withheld."""

    def __init__(
        self, actor: Any, *, scope: Scope | None, request: HttpRequest | None, purpose: str
    ) -> None:
        self.actor = actor
        self.scope = scope or scope_for(actor)
        self.request = request
        self.purpose = purpose
        # None acts for the center (the command line): nothing to log or limit.
        self.may_see = actor is None or may_view_sensitive(actor)
        self.shown: set[int] = set()
        self.kinds: Counter[Kind] = Counter()
        self.counted: list[str] = []
        self.withheld = 0
        self._window: set[str] | None = None
        self._limit: int | None = None

    def answer(self, number: str, kind: Kind, people: Iterable[int] = ()) -> bool:
        """Whether this answer about `number` may be given; noted for the log and the count."""
        if self.actor is None:
            return True
        if self.limited() and not (kind is Kind.MATCH and self.may_see):
            self.withheld += 1
            return False
        counted = kind is Kind.ELSEWHERE or (kind is Kind.NEAR_MISS and not self.may_see)
        if counted:
            key = digest(number)
            if key not in self.window():
                self.window().add(key)
                self.counted.append(key)
        if counted or (kind is Kind.MATCH and not self.may_see):
            self.shown.update(people)
            self.kinds[kind] += 1
        return True

    def limited(self) -> bool:
        if not self.window():
            return False  # the limit is at least 1: no need to read it
        if self._limit is None:
            self._limit = config_get(ID_LOOKUP_LIMIT)
        return len(self.window()) >= self._limit

    def window(self) -> set[str]:
        """The distinct numbers counted for the actor in the last 24 hours, this block's too."""
        if self._window is None:
            rows = (
                SensitiveAccess.objects.filter(
                    user=self.actor,
                    action=SensitiveAccess.Action.LOOKUP,
                    occurred_at__gte=timezone.now() - WINDOW,
                )
                .exclude(lookup_keys=[])
                .values_list("lookup_keys", flat=True)
            )
            self._window = {key for keys in rows for key in keys}
        return self._window

    def near_misses(self, numbers: Sequence[str]) -> dict[str, list[int]]:
        """Numbers (not on record) that share a mask with people in scope, with those people.

        Only for an actor without the permission: one with it sees the numbers in full.
        """
        if self.may_see or not numbers:
            return {}
        heads = {number[:HEAD] for number in numbers}
        rows = (
            Person.objects.for_scope(self.scope)
            .annotate(head=Left("id_number", HEAD))
            .filter(head__in=heads)
            .values_list("pk", "id_number")
        )
        by_mask: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for pk, held in rows:
            by_mask[held[:HEAD], held[-TAIL:]].append((pk, held))
        near = {
            number: [pk for pk, held in by_mask[number[:HEAD], number[-TAIL:]] if held != number]
            for number in numbers
        }
        return {number: people for number, people in near.items() if people}

    def person(self, number: str) -> tuple[Person | None, list[Club]]:
        """The person holding `number` (locked for the caller's write) and the clubs outside
        the scope that hold them; ValidationError (lookup_limited) when it is withheld."""
        found = Person.objects.select_for_update().filter(id_number=number).first()
        outside: list[Club] = []
        if found is None:
            near = self.near_misses([number]).get(number, [])
            kind, people = (Kind.NEAR_MISS, near) if near else (Kind.NEW, [])
        else:
            holders = holding_clubs(found)
            outside = [club for club in holders if not self.scope.covers_owner(club=club)]
            kind, people = kind_of(holders, outside), [found.pk]
        if not self.answer(number, kind, people):
            raise ValidationError({"id_number": limited_error()})
        return found, outside

    def write(self) -> None:
        if self.actor is None or transaction.get_connection().needs_rollback:
            return
        club_id = self.scope.club_id
        department_id = None if club_id else self.scope.department_id
        if self.shown:
            found = "，".join(KIND_WORDS[kind].format(n) for kind, n in self.kinds.items())
            record_sensitive_access(
                user=self.actor,
                action=SensitiveAccess.Action.LOOKUP,
                subjects=[Person(pk=pk) for pk in sorted(self.shown)],
                fields=["id_number"],
                reason=f"{self.purpose}时核对身份证号：{found}",
                request=self.request,
                lookup_keys=self.counted,
                club_id=club_id,
                department_id=department_id,
            )
        if self.withheld:
            record_sensitive_access(
                user=self.actor,
                action=SensitiveAccess.Action.BLOCKED,
                subjects=[],
                subject_type=Person._meta.label_lower,
                fields=["id_number"],
                reason=(
                    f"{self.purpose}时核对身份证号的次数已达上限（24 小时 {self._limit} 个号码），"
                    f"暂停了 {self.withheld} 次核对"
                ),
                request=self.request,
                club_id=club_id,
                department_id=department_id,
            )


_open: ContextVar[Lookups | None] = ContextVar("members_lookups", default=None)


@contextmanager
def answering(
    actor: Any,
    *,
    scope: Scope | None = None,
    request: HttpRequest | None = None,
    purpose: str = "登记或修改人员",
) -> Iterator[Lookups]:
    """Collect the actor's answers inside the block and log them once it ends.

    A block inside another for the same actor joins it: what the inner one (a service)
    answers is written when the outer one (a view, around its transaction) ends.
    """
    outer = _open.get()
    if outer is not None and getattr(outer.actor, "pk", None) == getattr(actor, "pk", None):
        yield outer
        return
    lookups = Lookups(actor, scope=scope, request=request, purpose=purpose)
    token = _open.set(lookups)
    try:
        yield lookups
    finally:
        _open.reset(token)
        lookups.write()
