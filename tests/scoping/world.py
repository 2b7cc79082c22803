"""A small world with records of every scoped model in two clubs of two departments.

The named people: Alice directs club A (department 1), Bob is part-time on her team,
Charlie directs club B (department 2), Dora administers department 1, Carol works at
the center. Every record carries a marker string — a person's name as it would appear
on a page — so a test can tell whether anything of it leaked into a response.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from fuwushe.audit.models import SensitiveAccess
from fuwushe.files.models import PrivateFile
from fuwushe.files.services import private_file_create
from fuwushe.org.models import Club, Community, Department, StaffPosting, User
from fuwushe.org.roles import sync_role_groups
from fuwushe.org.services import sync_user_groups

PASSWORD = "world-password-1"


@dataclass(frozen=True)
class Owner:
    """Who a record belongs to: a club, a department, or the center."""

    level: str
    club: Club | None = None
    department: Department | None = None

    @property
    def department_id(self) -> int | None:
        if self.club is not None:
            return self.club.department_id
        return self.department.pk if self.department else None


@dataclass
class Record:
    obj: models.Model
    owner: Owner
    markers: list[str] = field(default_factory=list)


@dataclass
class World:
    department1: Department
    department2: Department
    club_a: Club
    club_b: Club
    people: dict[str, User | None]
    records: list[Record] = field(default_factory=list)

    def owners(self) -> list[Owner]:
        return [
            Owner("club", club=self.club_a),
            Owner("club", club=self.club_b),
            Owner("department", department=self.department1),
            Owner("department", department=self.department2),
            Owner("center"),
        ]

    def sees(self, person: str, owner: Owner) -> bool:
        """The rule, stated independently of the code under test."""
        if person == "carol":
            return True
        if person == "dora":
            return owner.department_id == self.department1.pk
        if person in ("alice", "bob"):
            return owner.club == self.club_a
        if person == "charlie":
            return owner.club == self.club_b
        return False

    def of(self, model: type[models.Model]) -> list[Record]:
        return [r for r in self.records if type(r.obj) is model]


# model -> builder(world, owner) -> (obj, markers) or None when the model cannot belong
# to that kind of owner. Apps with scoped models add theirs here.
Builder = Callable[[World, Owner], tuple[models.Model, list[str]] | None]
BUILDERS: dict[type[models.Model], Builder] = {}


def builder(model: type[models.Model]) -> Callable[[Builder], Builder]:
    def register(func: Builder) -> Builder:
        BUILDERS[model] = func
        return func

    return register


def _person(username: str, last: str, first: str, **posting: Any) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, last_name=last, first_name=first, is_staff=True
    )
    if posting:
        StaffPosting.objects.create(user=user, **posting)
        sync_user_groups(user)
    return user


def build_world() -> World:
    sync_role_groups()
    department1 = Department.objects.create(code="D91", name="测试第一老年服务部")
    department2 = Department.objects.create(code="D92", name="测试第二老年服务部")
    club_a = Club.objects.create(code="T001", name="甲小区党员服务社", department=department1)
    club_b = Club.objects.create(code="T002", name="乙小区党员服务社", department=department2)
    people: dict[str, User | None] = {
        "alice": _person("alice", "艾", "丽思", level="club", club=club_a, role="director"),
        "bob": _person("bob", "鲍", "博文", level="club", club=club_a, role="part_time"),
        "charlie": _person("charlie", "查", "理明", level="club", club=club_b, role="director"),
        "dora": _person(
            "dora",
            "窦",
            "拉芳",
            level="department",
            department=department1,
            role="department_admin",
        ),
        "carol": _person("carol", "柯", "萝兰", level="center", role="center_admin"),
        "anonymous": None,
    }
    world = World(department1, department2, club_a, club_b, people)
    # The people themselves are records: staff of club A are club A's, and so on.
    for name, owner in [
        ("alice", Owner("club", club=club_a)),
        ("bob", Owner("club", club=club_a)),
        ("charlie", Owner("club", club=club_b)),
        ("dora", Owner("department", department=department1)),
        ("carol", Owner("center")),
    ]:
        user = people[name]
        assert user is not None
        world.records.append(Record(user, owner, [user.get_full_name()]))
        for posting in user.postings.all():
            world.records.append(Record(posting, owner, []))
    world.records += [
        Record(department1, Owner("department", department=department1)),
        Record(department2, Owner("department", department=department2)),
        Record(club_a, Owner("club", club=club_a)),
        Record(club_b, Owner("club", club=club_b)),
    ]
    for build in BUILDERS.values():
        for owner in world.owners():
            built = build(world, owner)
            if built is not None:
                obj, markers = built
                world.records.append(Record(obj, owner, markers))
    return world


def _owner_tag(owner: Owner) -> str:
    if owner.club is not None:
        return owner.club.name[:1]
    if owner.department is not None:
        return owner.department.name[2:4]
    return "中心"


@builder(Community)
def _community(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    if owner.club is None:
        return None
    return Community.objects.create(name=f"{owner.club.name[:2]}苑", club=owner.club), []


@builder(SensitiveAccess)
def _sensitive_access(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    reason = f"查看{_owner_tag(owner)}方秘密住户的身份证号"
    # The one who looked is someone who may see the owner's records.
    viewer = _insider(world, owner)
    access = SensitiveAccess.objects.create(
        user=world.people[viewer],
        action="reveal",
        club=owner.club,
        department=owner.department,
        subject_type="org.user",
        subject_ids=[1],
        subject_count=1,
        fields=["id_number"],
        reason=reason,
    )
    return access, [reason]


def _insider(world: World, owner: Owner) -> str:
    """Someone who may see the owner's records (their name shows on them)."""
    if owner.club is not None:
        return "alice" if owner.club == world.club_a else "charlie"
    if owner.department == world.department1:
        return "dora"
    return "carol"


@builder(PrivateFile)
def _private_file(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    tag = _owner_tag(owner)
    name, secret = f"{tag}方活动名单.csv", f"{tag}方秘密住户名单"
    upload = SimpleUploadedFile(name, f"姓名\n{secret}\n".encode("gbk"))
    file = private_file_create(
        user=world.people[_insider(world, owner)],
        purpose="import",
        upload=upload,
        club=owner.club,
        department=owner.department,
    )
    return file, [name, secret]
