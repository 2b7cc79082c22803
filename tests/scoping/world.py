"""A small world with records of every scoped model in two clubs of two departments.

The named people: Alice directs club A (department 1), Bob is part-time on her team,
Charlie directs club B (department 2), Dora administers department 1, Carol works at
the center. Every record carries a marker string — a person's name as it would appear
on a page — so a test can tell whether anything of it leaked into a response.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from stdnum.cn import ric

from fuwushe.audit.models import SensitiveAccess
from fuwushe.files.models import PrivateFile
from fuwushe.files.services import private_file_create
from fuwushe.imports.models import ImportRun
from fuwushe.org.models import Club, Community, Department, StaffPosting, User
from fuwushe.org.roles import sync_role_groups
from fuwushe.org.services import sync_user_groups
from members.models import Member, MemberTransfer, PartyApplicant
from members.services import applicant_create, member_create, member_transfer_request

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
    # Values shown in full only on a reveal page, or by the API to whoever may see them.
    secrets: list[str] = field(default_factory=list)


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


def signed_in(world: "World", name: str) -> Client:
    """A test client signed in as one of the world's named people."""
    client = Client()
    client.force_login(world.people[name])
    return client


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
                secrets = [m for m in markers if m in SECRETS]
                world.records.append(Record(obj, owner, markers, secrets))
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


# --- members ---------------------------------------------------------------------------

_ID_BODIES = {"甲": "37050219450301", "乙": "37010219480612"}


def _id_number(owner: Owner, seq: int) -> str:
    tag = _owner_tag(owner)
    body = f"{_ID_BODIES.get(tag, '11010519500101')}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _club_member(world: World, owner: Owner, seq: int, name: str) -> Any:
    assert owner.club is not None
    phone = f"139{seq:04d}{'1' if owner.club == world.club_a else '2'}888"
    return member_create(
        actor=world.people["carol"],
        club=owner.club,
        person={"name": name, "id_number": _id_number(owner, seq), "phone": phone},
    )


# Full ID numbers and phones of the world's people: see Record.secrets.
SECRETS: set[str] = set()


def _markers(member: Any) -> list[str]:
    """A member's name, and their full ID number and phone (shown to nobody outside)."""
    SECRETS.update([member.person.id_number, member.person.phone])
    return [member.person.name, member.person.id_number, member.person.phone]


@builder(Member)
def _member(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    if owner.club is None:
        return None
    member = _club_member(world, owner, 11, f"{_owner_tag(owner)}方秘密党员")
    return member, _markers(member)


@builder(MemberTransfer)
def _transfer(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    """A pending transfer from the owner's club to a staffless club of the same department,
    so that exactly the owner's insiders see it."""
    if owner.club is None:
        return None
    tag = _owner_tag(owner)
    receiving, _ = Club.objects.get_or_create(
        code=f"T{ord(tag) % 1000:03d}R",
        defaults={"name": f"{tag}方邻近党员服务社", "department_id": owner.department_id},
    )
    member = _club_member(world, owner, 12, f"{tag}方转出党员")
    reason = f"{tag}方转接秘密原因"
    transfer = member_transfer_request(
        actor=world.people[_insider(world, owner)], member=member, to_club=receiving, reason=reason
    )
    return transfer, [*_markers(member), reason]


@builder(PartyApplicant)
def _applicant(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    if owner.club is None:
        return None
    applicant = applicant_create(
        actor=world.people["carol"],
        club=owner.club,
        person={"name": f"{_owner_tag(owner)}方入党申请人", "id_number": _id_number(owner, 13)},
        applied_on=date(2025, 3, 1),
    )
    SECRETS.add(applicant.person.id_number)
    return applicant, [applicant.person.name, applicant.person.id_number]


@builder(ImportRun)
def _import_run(world: World, owner: Owner) -> tuple[models.Model, list[str]] | None:
    tag = _owner_tag(owner)
    name = f"{tag}方秘密花名册.xlsx"
    run = ImportRun.objects.create(
        kind="members",
        file_name=name,
        user=world.people[_insider(world, owner)],
        status=ImportRun.Status.FAILED,
        club=owner.club,
        department=owner.department,
        errors=[{"row": 3, "column": "姓名", "value": f"{tag}方错行", "code": "x", "message": "-"}],
    )
    return run, [name, f"{tag}方错行"]
