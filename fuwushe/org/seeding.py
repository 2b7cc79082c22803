"""Demo data for the organisation: the real network, demo accounts and club staff."""

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.hashers import check_password, make_password

from fuwushe.org import seed_data
from fuwushe.org.models import Club, Community, Department, Level, StaffPosting, User
from fuwushe.org.roles import sync_role_groups
from fuwushe.org.services import sync_user_groups
from fuwushe.seeding import Credential, SeedContext, create_missing, seeder

# Shown by `bin/run`; only ever created outside production (seed_demo refuses there).
DEMO_PASSWORD = "fuwushe-demo-2026"  # noqa: S105 - public by design, never in production
# Shown instead when someone changed a demo account's password: the seed leaves it alone.
CHANGED_PASSWORD = "（已被修改，不再是演示密码）"  # noqa: S105 - a notice, not a password

Role = StaffPosting.Role
# The clubs moved under the management center with the 2018 reform.
POSTINGS_SINCE = date(2018, 7, 1)
SHORT_STAFFED_SHARE = 0.1

# --- organisation -----------------------------------------------------------------


@seeder("organisation", order=5, organisation=True)
def seed_organisation(context: SeedContext) -> str:
    """Create the real network where missing; the same at every scale."""
    departments = _create_departments()
    clubs = _create_clubs([_active_club(data, departments) for data in seed_data.ACTIVE_CLUBS])
    merged = _create_clubs([_merged_club(data, clubs) for data in seed_data.MERGED_CLUBS])
    communities = _create_communities(clubs)
    return (
        f"老年服务部 {len(departments)} 个，服务社 {len(clubs)} 个（另有已合并 {len(merged)} 个），"
        f"小区 {communities} 个"
    )


def _create_departments() -> dict[str, Department]:
    departments = [
        Department(code=d.code, name=d.name, branch_name=d.branch_name, is_active=True)
        for d in seed_data.DEPARTMENTS
    ]
    return {code: d for (code,), d in create_missing(departments, ["code"]).items()}


def _active_club(data: seed_data.ClubData, departments: dict[str, Department]) -> Club:
    return Club(
        code=data.code,
        name=data.name,
        department=departments[data.department],
        address=data.address,
        city=data.city,
        county=data.county,
        founded_on=data.founded_on,
        status=Club.Status.ACTIVE,
        elderly_station=data.elderly_station,
    )


def _merged_club(data: seed_data.MergedClubData, clubs: dict[str, Club]) -> Club:
    target = clubs[data.merged_into]
    return Club(
        code=data.code,
        name=data.name,
        department_id=target.department_id,
        address=data.address,
        city=target.city,
        county=target.county,
        founded_on=data.founded_on,
        status=Club.Status.MERGED,
        merged_into=target,
        merged_on=data.merged_on,
    )


def _create_clubs(clubs: list[Club]) -> dict[str, Club]:
    return {code: club for (code,), club in create_missing(clubs, ["code"]).items()}


def _create_communities(clubs: dict[str, Club]) -> int:
    communities = [
        Community(
            name=name, club=clubs[data.code], city=data.city, county=data.county, households=n
        )
        for data in seed_data.ACTIVE_CLUBS
        for name, n in data.communities
    ]
    return len(create_missing(communities, ["name", "city", "county"]))


# --- shared by the account seeders ------------------------------------------------


def _create_users(users: list[User]) -> dict[str, User]:
    return {username: user for (username,), user in create_missing(users, ["username"]).items()}


def _create_first_postings(wanted: list[StaffPosting]) -> list[StaffPosting]:
    """Give a posting to each user who has none yet, open or ended; return those created.

    A user who has one keeps it as it is: moved, promoted or gone, that is an edit.
    """
    posted = set(
        StaffPosting.objects.filter(user_id__in=[w.user_id for w in wanted]).values_list(
            "user_id", flat=True
        )
    )
    new = [posting for posting in wanted if posting.user_id not in posted]
    StaffPosting.objects.bulk_create(new)
    return new


# --- demo accounts ----------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    label: str
    last_name: str
    first_name: str
    role: str = ""  # no posting (the superuser)
    department: str | None = None
    club: str | None = None
    is_superuser: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("center_admin", "管理中心管理员", "王", "建国", Role.CENTER_ADMIN),
    DemoUser("admin", "系统超级管理员", "赵", "立新", is_superuser=True),
    DemoUser(
        "dept_admin",
        "服务部管理员（第一老年服务部）",
        "刘",
        "玉梅",
        Role.DEPARTMENT_ADMIN,
        department="D01",
    ),
    DemoUser(
        "dept_admin2",
        "服务部管理员（第二老年服务部）",
        "陈",
        "志强",
        Role.DEPARTMENT_ADMIN,
        department="D02",
    ),
    DemoUser(
        "dongli_director", "东利党员服务社主任", "张", "桂兰", Role.DIRECTOR, club=seed_data.DONGLI
    ),
    DemoUser(
        "dongli_staff",
        "东利党员服务社兼职工作人员",
        "孙",
        "秀英",
        Role.PART_TIME,
        club=seed_data.DONGLI,
    ),
    DemoUser(
        "shengbei_director",
        "胜北党员服务社主任",
        "周",
        "德明",
        Role.DIRECTOR,
        club=seed_data.SHENGBEI,
    ),
)


@seeder("demo_users", order=10, organisation=True)
def seed_demo_users(context: SeedContext) -> str:
    """Create the missing demo accounts, signing in with DEMO_PASSWORD, each with its posting."""
    usernames = [demo.username for demo in DEMO_USERS]
    held = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    # Hashing is slow on purpose: only when an account is to be created.
    password = make_password(DEMO_PASSWORD) if held != set(usernames) else ""
    users = _create_users([_demo_user(demo, password) for demo in DEMO_USERS])
    postings = _create_first_postings(
        [_demo_posting(demo, users[demo.username]) for demo in DEMO_USERS if demo.role]
    )
    sync_role_groups()
    for posting in postings:
        sync_user_groups(posting.user)
    demo_password = _signing_in_with_demo_password(list(users.values()), known={password})
    for demo in DEMO_USERS:
        shown = DEMO_PASSWORD if demo.username in demo_password else CHANGED_PASSWORD
        context.credentials.append(Credential(demo.label, demo.username, shown))
    return f"演示账号 {len(users)} 个（本次新建 {len(users) - len(held)} 个）"


def _signing_in_with_demo_password(users: list[User], known: set[str]) -> set[str]:
    """Usernames whose password is still DEMO_PASSWORD; each distinct hash is checked once."""
    matches = {encoded: True for encoded in known if encoded}
    for user in users:
        if user.password not in matches:
            matches[user.password] = check_password(DEMO_PASSWORD, user.password)
    return {user.username for user in users if matches[user.password]}


def _demo_user(demo: DemoUser, password: str) -> User:
    return User(
        username=demo.username,
        last_name=demo.last_name,
        first_name=demo.first_name,
        password=password,
        is_staff=True,
        is_superuser=demo.is_superuser,
        must_change_password=False,
    )


def _demo_posting(demo: DemoUser, user: User) -> StaffPosting:
    club = Club.objects.get(code=demo.club) if demo.club else None
    department = Department.objects.get(code=demo.department) if demo.department else None
    level = Level.CLUB if club else Level.DEPARTMENT if department else Level.CENTER
    return StaffPosting(
        user=user,
        level=level,
        role=demo.role,
        department=department,
        club=club,
        started_on=POSTINGS_SINCE,
    )


# --- synthetic club staff ---------------------------------------------------------

# Common surnames in Shandong, and given names of the generation that staffs the clubs.
SURNAMES = tuple("王李张刘陈杨赵孙徐马高于董郭韩崔宋曹吕任姜朱田周袁许魏薛")
GIVEN_NAMES = (  # noqa: SIM905 - a list literal of 38 names would fill a page
    "建国 建华 国庆 卫东 红梅 秀英 桂兰 玉兰 淑珍 凤英 秀兰 玉珍 志强 德明 振华 爱民 庆华 "
    "永红 丽华 春生 文斌 广才 学军 保国 金凤 海燕 素芳 桂芝 明 军 勇 华 平 静 伟 霞 英 刚"
).split()


@dataclass(frozen=True)
class StaffPlan:
    username: str
    last_name: str
    first_name: str
    club: str
    role: str
    started_on: date
    elderly_station: str = ""


@seeder("club_staff", order=20)
def seed_club_staff(context: SeedContext) -> str:
    """Staff the clubs without demo accounts: most with 2–3 people, about a tenth with 1."""
    demo_clubs = {demo.club for demo in DEMO_USERS if demo.club}
    clubs = [club for club in seed_data.ACTIVE_CLUBS if club.code not in demo_clubs]
    plans = plan_club_staff(clubs, context.rng("club_staff"))
    users = _create_users([_staff_user(plan) for plan in plans])
    club_ids = dict(Club.objects.filter(code__in=[c.code for c in clubs]).values_list("code", "pk"))
    postings = [_staff_posting(plan, users[plan.username], club_ids[plan.club]) for plan in plans]
    _sync_many_users_groups(_create_first_postings(postings))
    short = sum(1 for n in Counter(plan.club for plan in plans).values() if n == 1)
    return f"服务社工作人员 {len(plans)} 人（只有 1 人的服务社 {short} 个）"


def plan_club_staff(clubs: Sequence[seed_data.ClubData], rng: random.Random) -> list[StaffPlan]:
    """Who works at each club; a pure function of the random stream."""
    short = set(rng.sample([c.code for c in clubs], k=round(len(clubs) * SHORT_STAFFED_SHARE)))
    plans: list[StaffPlan] = []
    for club in clubs:
        size = 1 if club.code in short else rng.choice((2, 2, 3))
        plans.extend(_plan_club(club, size, rng))
    return plans


def _plan_club(club: seed_data.ClubData, size: int, rng: random.Random) -> list[StaffPlan]:
    roles = [Role.DIRECTOR, rng.choice((Role.DEPUTY, Role.FULL_TIME)), Role.PART_TIME][:size]
    return [
        StaffPlan(
            username=f"{club.code.lower()}_staff{number}",
            last_name=rng.choice(SURNAMES),
            first_name=rng.choice(GIVEN_NAMES),
            club=club.code,
            role=role,
            started_on=POSTINGS_SINCE + timedelta(days=rng.randrange(5 * 365)),
            # A club attached to an elderly station shares a staff member with it.
            elderly_station=club.elderly_station if number == size else "",
        )
        for number, role in enumerate(roles, start=1)
    ]


def _staff_user(plan: StaffPlan) -> User:
    # An unusable password: an administrator resets it when the person starts using the system.
    return User(
        username=plan.username,
        last_name=plan.last_name,
        first_name=plan.first_name,
        password=make_password(None),
        is_staff=True,
        must_change_password=False,
    )


def _staff_posting(plan: StaffPlan, user: User, club_id: int) -> StaffPosting:
    return StaffPosting(
        user=user,
        level=Level.CLUB,
        role=plan.role,
        club_id=club_id,
        started_on=plan.started_on,
        elderly_station=plan.elderly_station,
    )


def _sync_many_users_groups(postings: Iterable[StaffPosting]) -> None:
    """What sync_user_groups does, in four queries for all users instead of five per user."""
    groups = sync_role_groups()
    membership = User.groups.through
    wanted = {(p.user_id, groups[p.role].pk) for p in postings}
    held = list(
        membership.objects.filter(
            user_id__in={user_id for user_id, _ in wanted}, group__in=list(groups.values())
        )
    )
    stale = [m.pk for m in held if (m.user_id, m.group_id) not in wanted]
    missing = wanted - {(m.user_id, m.group_id) for m in held}
    membership.objects.filter(pk__in=stale).delete()
    membership.objects.bulk_create([membership(user_id=u, group_id=g) for u, g in missing])
